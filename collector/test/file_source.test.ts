import { appendFile, mkdir, mkdtemp, open, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { silentLogger } from '../src/logger.js';
import { createFileSource } from '../src/sources/file.js';
import { createPathMatcher } from '../src/sources/glob.js';
import { Positions } from '../src/sources/positions.js';
import type { Batch } from '../src/sources/source.js';
import { linesOf, startFileSource, type RunningFileSource } from './file_source_harness.js';

let dir: string;
let positionsFile: string;
const running: RunningFileSource[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-source-'));
  positionsFile = join(dir, 'positions.yaml');
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(targets: Record<string, string>[], extra: Parameters<typeof startFileSource>[2] = {}) {
  const r = await startFileSource(positionsFile, targets, extra);
  running.push(r);
  return r;
}

async function stopAll() {
  for (const r of running.splice(0)) await r.stop();
}

const poll = { timeout: 3000, interval: 5 };

describe('file source', () => {
  it('reads lines with the filename label and the target labels, dropping __ labels', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'one\ntwo\r\n');
    const r = await start([{ __path__: join(dir, '*.log'), __meta_x: 'hidden', job: 'app' }]);
    await expect.poll(() => linesOf(r.received), poll).toEqual(['one', 'two\r']);
    expect(r.received[0]!.labels).toEqual({ job: 'app', filename: log });
    expect(r.received[0]!.extracted).toEqual({ job: 'app', filename: log });
  });

  it('a trailing partial line waits for its newline', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'first\nsec');
    const r = await start([{ __path__: log }]);
    await expect.poll(() => linesOf(r.received), poll).toEqual(['first']);
    await appendFile(log, 'ond\nthird\n');
    await expect.poll(() => linesOf(r.received), poll).toEqual(['first', 'second', 'third']);
  });

  it('entries of one file get strictly increasing timestamps', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'same\nsame\nsame\n');
    const r = await start([{ __path__: log }], { clock: { now: () => 1000n } });
    await expect.poll(() => r.received.length, poll).toBe(3);
    expect(r.received.map((e) => e.timestamp)).toEqual([1000n, 1001n, 1002n]);
  });

  it('starts at the saved offset, or at 0 when the offset is past the end of the file', async () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    await writeFile(a, 'old\nnew\n');
    await writeFile(b, 'short\n');
    await writeFile(positionsFile, `positions:\n  ${a}: "4"\n  ${b}: "999"\n`);
    const r = await start([{ __path__: join(dir, '*.log') }]);
    await expect.poll(() => linesOf(r.received).sort(), poll).toEqual(['new', 'short']);
  });

  it('a saved offset that is not at a line start means the file was replaced: read it from 0', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'replaced while down\nsecond line\n');
    await writeFile(positionsFile, `positions:\n  ${log}: "5"\n`);
    const r = await start([{ __path__: log }]);
    await expect.poll(() => linesOf(r.received), poll).toEqual(['replaced while down', 'second line']);
  });

  it('positions advance only when a batch is acked', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'a\nb\n');
    const unacked = await start([{ __path__: log }], { ack: false });
    await expect.poll(() => unacked.received.length, poll).toBe(2);
    await stopAll();
    // Known (with its identity, for a rotation while stopped) but still at 0.
    expect(unacked.positions.snapshot()).toEqual({ [log]: '0' });
    // Nothing was acknowledged, so a restart delivers the same lines again.
    const again = await start([{ __path__: log }]);
    await expect.poll(() => linesOf(again.received), poll).toEqual(['a', 'b']);
    await expect.poll(() => again.positions.get(log), poll).toBe(4);
  });

  it('a restart after acks repeats nothing', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'a\nb\n');
    const first = await start([{ __path__: log }]);
    await expect.poll(() => linesOf(first.received), poll).toEqual(['a', 'b']);
    await stopAll();
    await appendFile(log, 'c\n');
    const second = await start([{ __path__: log }]);
    await expect.poll(() => linesOf(second.received), poll).toEqual(['c']);
  });

  it('rename + create: finishes the old file (even lines written after the rename), then reads the new one', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, '1\n');
    const r = await start([{ __path__: log }]);
    await expect.poll(() => linesOf(r.received), poll).toEqual(['1']);
    const writer = await open(log, 'a');
    await rename(log, `${log}.1`);
    await writeFile(log, '3\n');
    await writer.write('2\n'); // the application still has the old file open
    await writer.close();
    await expect.poll(() => linesOf(r.received), poll).toEqual(['1', '2', '3']);
    expect(new Set(r.received.map((e) => e.labels['filename']))).toEqual(new Set([log]));
    await expect.poll(() => r.positions.get(log), poll).toBe(2);
  });

  it('copytruncate: lines written after the truncation arrive', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'before-1\nbefore-2\n');
    const r = await start([{ __path__: log }]);
    await expect.poll(() => r.received.length, poll).toBe(2);
    await writeFile(`${log}.1`, 'before-1\nbefore-2\n');
    await truncate(log, 0);
    await appendFile(log, 'after\n');
    await expect.poll(() => linesOf(r.received), poll).toEqual(['before-1', 'before-2', 'after']);
  });

  it('a truncation refilled past the old offset between two reads is still read from 0', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'aa\n');
    const r = await start([{ __path__: log }], { pollIntervalMs: 300, watch: false, syncPeriodMs: 60_000 });
    await expect.poll(() => linesOf(r.received), poll).toEqual(['aa']);
    // Truncate and write more than 3 bytes before the tailer looks again.
    await writeFile(log, 'xyz-1\nxyz-2\n');
    await expect
      .poll(() => linesOf(r.received), { timeout: 3000, interval: 20 })
      .toEqual(['aa', 'xyz-1', 'xyz-2']);
  });

  it('a truncation refilled to exactly the old size is still read from 0', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'line-1\n');
    const r = await start([{ __path__: log }], { pollIntervalMs: 300, watch: false, syncPeriodMs: 60_000 });
    await expect.poll(() => linesOf(r.received), poll).toEqual(['line-1']);
    // Truncate and write as many bytes before the tailer looks again: the size is unchanged.
    await writeFile(log, 'line-2\n');
    await expect
      .poll(() => linesOf(r.received), { timeout: 3000, interval: 20 })
      .toEqual(['line-1', 'line-2']);
  });

  it('discovers new files, honours __path_exclude__, and forgets deleted files', async () => {
    await mkdir(join(dir, 'sub'));
    const r = await start([{ __path__: join(dir, '**/*.log'), __path_exclude__: join(dir, '**/skip.log') }]);
    const deep = join(dir, 'sub', 'deep.log');
    await writeFile(deep, 'deep\n');
    await writeFile(join(dir, 'sub', 'skip.log'), 'skipped\n');
    await writeFile(join(dir, 'top.log'), 'top\n');
    await expect.poll(() => linesOf(r.received).sort(), poll).toEqual(['deep', 'top']);
    await expect.poll(() => r.positions.get(deep), poll).toBe(5);
    await unlink(deep);
    await expect.poll(() => deep in r.positions.snapshot(), poll).toBe(false);
  });

  it('batches hold at most maxBatchLines lines and reading waits for the consumer', async () => {
    const log = join(dir, 'big.log');
    await writeFile(log, Array.from({ length: 250 }, (_, i) => `line ${i}\n`).join(''));
    const r = await start([{ __path__: log }], { maxBatchLines: 100 });
    await expect.poll(() => r.received.length, poll).toBe(250);
    expect(Math.max(...r.batchSizes)).toBeLessThanOrEqual(100);
    expect(linesOf(r.received)).toEqual(Array.from({ length: 250 }, (_, i) => `line ${i}`));
  });

  it('a busy writer, two rotations with late writes to the old file, and a restart: every line once', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, '');
    let r = await start([{ __path__: log }], { rotateDrainMs: 50 });
    const received: string[] = [];
    const written: string[] = [];
    let generation = 0;
    let writer = await open(log, 'a');
    const write = async (handle: typeof writer, gen: number, count: number) => {
      const first = written.length;
      const lines = Array.from({ length: count }, (_, i) => `g${gen}-${String(first + i).padStart(6, '0')}`);
      written.push(...lines);
      await handle.write(lines.join('\n') + '\n');
    };
    const settle = () =>
      expect
        .poll(() => received.length + r.received.length, { timeout: 5000, interval: 2 })
        .toBeGreaterThanOrEqual(written.length);
    for (let step = 0; step < 60; step++) {
      await write(writer, generation, 50);
      if (step === 20 || step === 40) {
        await settle(); // the tailer must have seen this file before it moves away
        await rename(log, `${log}.${step}`);
        const old = writer;
        const oldGeneration = generation++;
        writer = await open(log, 'a');
        await write(writer, generation, 10);
        await write(old, oldGeneration, 20); // the application still writes to the old file a moment
        await old.close();
      }
      if (step === 30) {
        await settle();
        await r.stop();
        running.splice(running.indexOf(r), 1);
        received.push(...linesOf(r.received));
        await write(writer, generation, 100); // written while the collector is down
        r = await start([{ __path__: log }], { rotateDrainMs: 50 });
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await writer.close();
    await settle();
    received.push(...linesOf(r.received));
    expect(received.length).toBe(written.length);
    expect(new Set(received).size).toBe(written.length);
    for (let gen = 0; gen <= generation; gen++) {
      const mine = received.filter((l) => l.startsWith(`g${gen}-`));
      expect(mine).toEqual([...mine].sort());
    }
  });

  it('stop() returns while the consumer still holds a batch, and the iteration then ends', async () => {
    const log = join(dir, 'app.log');
    await writeFile(log, 'a\n');
    const positions = await Positions.open({
      filename: positionsFile,
      syncPeriodMs: 0,
      ignoreInvalidYaml: false,
      logger: silentLogger,
    });
    const source = createFileSource({
      targets: [{ __path__: log }],
      positions,
      logger: silentLogger,
      metrics: new Registry(),
    });
    const it = source.batches()[Symbol.asyncIterator]();
    const batch: Batch = (await it.next()).value;
    expect(batch.entries.map((e) => e.line)).toEqual(['a']);
    await source.stop(); // the consumer has not come back for more: must not hang
    batch.ack(); // a late ack still moves the position
    expect(positions.get(log)).toBe(2);
    expect((await it.next()).done).toBe(true);
  });

  it('drops targets for another __host__ and targets without __path__', async () => {
    await writeFile(join(dir, 'a.log'), 'a\n');
    await writeFile(join(dir, 'b.log'), 'b\n');
    const r = await start(
      [
        { __path__: join(dir, 'a.log'), __host__: 'some-other-host' },
        { job: 'no-path' },
        { __path__: join(dir, 'b.log'), __host__: 'this-host' },
      ],
      { hostname: 'this-host' },
    );
    await expect.poll(() => linesOf(r.received), poll).toEqual(['b']);
  });
});

describe('__path__ globs', () => {
  it('follow doublestar: ** spans folders, * stays in one and matches dot files, {a,b} and [..] work', async () => {
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    for (const f of [
      'x.log',
      '.hidden.log',
      'a/y.log',
      'a/b/z.log',
      'a/b/w.txt',
      'api.log',
      'web.log',
      'db.log',
    ]) {
      await writeFile(join(dir, f), '');
    }
    const list = (pattern: string, exclude?: string) =>
      createPathMatcher(join(dir, pattern), exclude && join(dir, exclude))
        .list()
        .then((paths) => paths.map((p) => p.slice(dir.length + 1)));
    expect(await list('**/*.log')).toEqual([
      '.hidden.log',
      'a/b/z.log',
      'a/y.log',
      'api.log',
      'db.log',
      'web.log',
      'x.log',
    ]);
    expect(await list('*/*.log')).toEqual(['a/y.log']);
    expect(await list('{api,web}.log')).toEqual(['api.log', 'web.log']);
    expect(await list('[a-d]*.log')).toEqual(['api.log', 'db.log']);
    expect(await list('**/*.log', '**/b/*')).toEqual([
      '.hidden.log',
      'a/y.log',
      'api.log',
      'db.log',
      'web.log',
      'x.log',
    ]);
  });

  it('a __path__ naming an existing file is used as is, even with glob characters in its name', async () => {
    await writeFile(join(dir, 'app[1].log'), '');
    const matcher = createPathMatcher(join(dir, 'app[1].log'));
    expect(await matcher.list()).toEqual([join(dir, 'app[1].log')]);
    expect(matcher.matches(join(dir, 'app[1].log'))).toBe(true);
  });
});
