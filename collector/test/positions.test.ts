import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { silentLogger } from '../src/logger.js';
import { Positions, cursorKey, parsePositions } from '../src/sources/positions.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'positions-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(extra: Partial<Parameters<typeof Positions.open>[0]> = {}) {
  return {
    filename: join(dir, 'positions.yaml'),
    syncPeriodMs: 0,
    ignoreInvalidYaml: false,
    logger: silentLogger,
    ...extra,
  };
}

describe('positions file', () => {
  it("reads Promtail's file: path -> offset as a string, and cursor keys", async () => {
    const log = join(dir, 'a.log');
    await writeFile(log, 'x'.repeat(2000));
    await writeFile(
      join(dir, 'positions.yaml'),
      `positions:\n    ${log}: "1234"\n    cursor-journal: "s=abc;i=1"\n`,
    );
    const positions = await Positions.open(options());
    expect(positions.get(log)).toBe(1234);
    expect(positions.getString(cursorKey('journal'))).toBe('s=abc;i=1');
    expect(positions.get(join(dir, 'unknown.log'))).toBe(0);
  });

  it('writes the same format back, readable as YAML by Promtail, with no temp file left', async () => {
    const positions = await Positions.open(options());
    positions.put('/var/log/nginx/access.log', 42);
    positions.put('/var/log/with space.log', 7);
    await positions.stop();
    const text = await readFile(join(dir, 'positions.yaml'), 'utf8');
    expect(text).toContain('  /var/log/nginx/access.log: "42"\n');
    expect(parse(text)).toEqual({
      positions: { '/var/log/nginx/access.log': '42', '/var/log/with space.log': '7' },
    });
    expect(await readdir(dir)).toEqual(['positions.yaml']);
    const again = await Positions.open(options());
    expect(again.get('/var/log/with space.log')).toBe(7);
  });

  it('a missing or empty file means no positions', async () => {
    expect((await Positions.open(options())).snapshot()).toEqual({});
    await writeFile(join(dir, 'positions.yaml'), '');
    expect((await Positions.open(options())).snapshot()).toEqual({});
  });

  it('a corrupt file fails start-up, naming the file, unless ignore_invalid_yaml is set', async () => {
    await writeFile(join(dir, 'positions.yaml'), 'positions: [unclosed\n');
    await expect(Positions.open(options())).rejects.toThrow(
      /invalid yaml positions file \[.*positions\.yaml\]/,
    );
    const positions = await Positions.open(options({ ignoreInvalidYaml: true }));
    expect(positions.snapshot()).toEqual({});
  });

  it('rejects fields Promtail does not know (it decodes strictly)', () => {
    expect(() => parsePositions('positions: {}\ninodes: {}\n')).toThrow(/field inodes not found/);
  });

  it('the periodic sync drops entries of files that no longer exist, but keeps cursors', async () => {
    const positions = await Positions.open(options({ syncPeriodMs: 5 }));
    const live = join(dir, 'live.log');
    await writeFile(live, 'abc\n');
    positions.put(live, 4);
    positions.put(join(dir, 'gone.log'), 10);
    positions.putString(cursorKey('journal'), 'c');
    await expect
      .poll(() => positions.snapshot(), { timeout: 2000, interval: 5 })
      .toEqual({
        [live]: '4',
        'cursor-journal': 'c',
      });
    await expect
      .poll(async () => parsePositions(await readFile(join(dir, 'positions.yaml'), 'utf8')).size, {
        timeout: 2000,
        interval: 5,
      })
      .toBe(2);
    await positions.stop();
  });

  it('read-only positions never write', async () => {
    const positions = await Positions.open(options({ readOnly: true }));
    positions.put('/a.log', 1);
    await positions.stop();
    expect(await readdir(dir)).toEqual([]);
  });
});
