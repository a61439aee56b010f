import {
  appendFile,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { Positions, sidecarName } from '../src/sources/positions.js';
import { resumeFromSpool } from '../src/sources/spooled_positions.js';
import { linesOf, startFileSource, type RunningFileSource } from './file_source_harness.js';

/**
 * Issue 6: files rotated, truncated or deleted while the collector is stopped.
 * positions.yaml keeps only offsets (Promtail's format); the sidecar
 * `positions.yaml.files.json` says which file each offset belongs to. Lines
 * here all have the same length, so a saved offset always falls on a line
 * start of the new file too: only the identity can tell the files apart.
 */
let dir: string;
let positionsFile: string;
let log: string;
const running: RunningFileSource[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-restart-'));
  positionsFile = join(dir, 'positions.yaml');
  log = join(dir, 'app.log');
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  await rm(dir, { recursive: true, force: true });
});

const poll = { timeout: 3000, interval: 5 };
const lines = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${from + i}`);
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

async function start(glob = log): Promise<RunningFileSource> {
  const r = await startFileSource(positionsFile, [{ __path__: glob, job: 'app' }]);
  running.push(r);
  return r;
}

async function stop(r: RunningFileSource): Promise<void> {
  running.splice(running.indexOf(r), 1);
  await r.stop();
}

/** Runs until `old` arrived, then stops: the positions and the sidecar are saved. */
async function readThenStop(old: string[], glob = log): Promise<void> {
  const r = await start(glob);
  await expect.poll(() => linesOf(r.received), poll).toEqual(old);
  await stop(r);
}

/**
 * Everything the next start delivers, in order: a last line appended to
 * app.log marks the end, so a line read twice would show up before it.
 */
async function nextStartDelivers(glob = log): Promise<string[]> {
  const r = await start(glob);
  await appendFile(log, 'end-0\n');
  await expect.poll(() => linesOf(r.received).includes('end-0'), poll).toBe(true);
  return linesOf(r.received);
}

describe('file source across a stop', () => {
  it('rotated by rename while stopped: the old file unread tail first, then the new file, each line once', async () => {
    await writeFile(log, text(lines('old', 1, 3)));
    await readThenStop(lines('old', 1, 3));
    expect(JSON.parse(await readFile(sidecarName(positionsFile), 'utf8')).files[log]).toMatchObject({
      offset: '18',
      ino: (await stat(log)).ino,
    });
    await appendFile(log, text(lines('old', 4, 5))); // written after the stop, never read
    await rename(log, `${log}.1`);
    await writeFile(log, text(lines('new', 1, 4)));
    const delivered = await nextStartDelivers();
    expect(delivered).toEqual([...lines('old', 4, 5), ...lines('new', 1, 4), 'end-0']);
  });

  it('the old file found by its inode is read once when the glob matches it too', async () => {
    const glob = join(dir, 'app.log*');
    await writeFile(log, text(lines('old', 1, 3)));
    await readThenStop(lines('old', 1, 3), glob);
    await appendFile(log, text(lines('old', 4, 5)));
    await rename(log, `${log}.1`);
    await writeFile(log, text(lines('new', 1, 4)));
    const delivered = await nextStartDelivers(glob);
    expect([...delivered].sort()).toEqual([...lines('old', 4, 5), ...lines('new', 1, 4), 'end-0'].sort());
  });

  it('copytruncate while stopped, refilled past the saved offset: every new line is read', async () => {
    await writeFile(log, text(lines('old', 1, 3)));
    await readThenStop(lines('old', 1, 3));
    const inode = (await stat(log)).ino;
    await truncate(log, 0);
    await appendFile(log, text(lines('new', 1, 6)));
    expect((await stat(log)).ino).toBe(inode);
    expect(await nextStartDelivers()).toEqual([...lines('new', 1, 6), 'end-0']);
  });

  it('deleted while stopped: starts without the file, then reads a new one from 0', async () => {
    await writeFile(log, text(lines('old', 1, 3)));
    await readThenStop(lines('old', 1, 3));
    await unlink(log);
    const r = await start();
    await writeFile(log, text(lines('new', 1, 6)));
    await expect.poll(() => linesOf(r.received), poll).toEqual(lines('new', 1, 6));
  });

  it('deleted and recreated while stopped (the inode may be reused): the new file is read from 0', async () => {
    await writeFile(log, text(lines('old', 1, 3)));
    await readThenStop(lines('old', 1, 3));
    await unlink(log);
    await writeFile(log, text(lines('new', 1, 6)));
    expect(await nextStartDelivers()).toEqual([...lines('new', 1, 6), 'end-0']);
  });

  it('a Promtail positions file without sidecar still resumes at its offset', async () => {
    await writeFile(log, text(lines('old', 1, 5)));
    await writeFile(positionsFile, `positions:\n  ${log}: "18"\n`);
    expect(await nextStartDelivers()).toEqual([...lines('old', 4, 5), 'end-0']);
    // ... and the next start knows the file.
    await stop(running[0]!);
    await rename(log, `${log}.1`);
    await writeFile(log, text(lines('new', 1, 2)));
    await appendFile(`${log}.1`, text(['old-6']));
    expect(await nextStartDelivers()).toEqual(['old-6', ...lines('new', 1, 2), 'end-0']);
  });

  it('a sidecar that disagrees with the positions file (Promtail ran meanwhile) is ignored', async () => {
    await writeFile(log, text(lines('old', 1, 2)));
    await readThenStop(lines('old', 1, 2));
    await appendFile(log, text(lines('old', 3, 5)));
    // Promtail read two more lines and saved its offset; our sidecar still says 12.
    await writeFile(positionsFile, `positions:\n  ${log}: "24"\n`);
    expect(await nextStartDelivers()).toEqual([...lines('old', 5, 5), 'end-0']);
  });

  it('a position the spool holds for the rotated-away file resumes its drain there', async () => {
    await writeFile(log, text(lines('old', 1, 3)));
    await readThenStop(lines('old', 1, 3));
    const old = await stat(log);
    // After the stop, lines 4-5 were spooled (say before a kill -9), then the file rotated.
    await appendFile(log, text(lines('old', 4, 6)));
    await rename(log, `${log}.1`);
    await writeFile(log, text(lines('new', 1, 2)));
    const positions = await Positions.open({
      filename: positionsFile,
      syncPeriodMs: 0,
      ignoreInvalidYaml: false,
      logger: silentLogger,
    });
    const spooled = [{ path: log, dev: old.dev, ino: old.ino, offset: 30 }];
    expect(await resumeFromSpool(positions, spooled, silentLogger)).toBe(1);
    await positions.stop();
    expect(await nextStartDelivers()).toEqual(['old-6', ...lines('new', 1, 2), 'end-0']);
  });
});
