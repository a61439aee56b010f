import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigText } from '../src/config/load.js';
import { createLimits } from '../src/limits.js';
import { silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';
import type { Batch, FilePosition, Source } from '../src/sources/source.js';
import { Positions } from '../src/sources/positions.js';
import { resumeFromSpool } from '../src/sources/spooled_positions.js';
import { decodeEntries, decodePositions, encodeRecordPayload } from '../src/spool/codec.js';
import { HEADER_BYTES } from '../src/spool/record.js';
import { openSpool } from '../src/spool/spool.js';
import { runTarget } from '../src/target_runner.js';

/** The file positions spooled records carry, so a crash never re-reads spooled lines. */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whodunit-spool-positions-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const entries = (from: number, n: number): Entry[] =>
  Array.from({ length: n }, (_, i) => newEntry(`line ${from + i}`, { job: 'p' }, BigInt(from + i)));
const at = (path: string, offset: number, ino = 7): FilePosition => ({ path, dev: 1, ino, offset });
const payload = (buffer: Buffer) => buffer.subarray(HEADER_BYTES);

describe('spooled file positions', () => {
  it('round-trips positions beside entries; records without them decode as before', () => {
    const withPositions = payload(encodeRecordPayload(entries(0, 3), [at('/var/log/a.log', 42)]));
    expect(decodeEntries(withPositions).map((e) => e.line)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(decodePositions(withPositions)).toEqual([at('/var/log/a.log', 42)]);
    const older = payload(encodeRecordPayload(entries(0, 2)));
    expect(decodePositions(older)).toEqual([]);
    expect(decodeEntries(older)).toHaveLength(2);
  });

  it('reports after a restart the newest position of each file, per device and inode', async () => {
    let spool = await openSpool(dir, { clients: ['loki'] });
    await spool.append(entries(0, 2), [at('/a', 10), at('/b', 5)]);
    await spool.append(entries(2, 2), [at('/a', 20)]);
    await spool.append(entries(4, 1), [at('/a', 3, 8)]); // /a rotated: another inode
    await spool.close();
    spool = await openSpool(dir, { clients: ['loki'] });
    expect(spool.positions()).toEqual(expect.arrayContaining([at('/a', 20), at('/b', 5), at('/a', 3, 8)]));
    expect(spool.positions()).toHaveLength(3);
    await spool.close();
  });

  it('keeps a quiet file position after the segments that carried it are acknowledged and deleted', async () => {
    let spool = await openSpool(dir, { clients: ['loki'], segmentBytes: 200 });
    await spool.append(entries(0, 3), [at('/quiet', 99)]);
    for (let i = 1; i < 8; i++) await spool.append(entries(i * 3, 3), [at('/busy', i)]);
    const reader = spool.reader('loki')[Symbol.asyncIterator]();
    const seen: Batch[] = [];
    while (spool.lag('loki') > 0) {
      const next = await reader.next();
      if (next.done) break;
      next.value.ack();
      seen.push(next.value);
    }
    await spool.append(entries(100, 1)); // a flush runs the deletion check
    const segments = (await readdir(dir)).filter((f) => f.endsWith('.seg'));
    await spool.close();
    expect(segments.length).toBeLessThan(8);
    // Position-only records reach the client as empty batches, acked like any other.
    expect(seen.flatMap((b) => b.entries).length).toBe(24);
    spool = await openSpool(dir, { clients: ['loki'] });
    expect(spool.positions()).toEqual(expect.arrayContaining([at('/quiet', 99), at('/busy', 7)]));
    await spool.close();
  });

  it('moves a saved position forward only for the same file, never backward', async () => {
    const same = join(dir, 'same.log');
    const replaced = join(dir, 'replaced.log');
    const ahead = join(dir, 'ahead.log');
    for (const file of [same, replaced, ahead]) await writeFile(file, 'x\n'.repeat(100));
    const id = async (path: string) => {
      const st = await stat(path);
      return { dev: st.dev, ino: st.ino };
    };
    const positions = await Positions.open({
      filename: join(dir, 'positions.yaml'),
      syncPeriodMs: 0,
      ignoreInvalidYaml: false,
      logger: silentLogger,
    });
    positions.put(same, 10);
    positions.put(replaced, 10);
    positions.put(ahead, 150);
    const moved = await resumeFromSpool(
      positions,
      [
        { path: same, ...(await id(same)), offset: 120 },
        { path: replaced, ...(await id(replaced)), ino: (await id(replaced)).ino + 1, offset: 120 },
        { path: ahead, ...(await id(ahead)), offset: 100 },
        { path: join(dir, 'gone.log'), dev: 1, ino: 1, offset: 50 },
      ],
      silentLogger,
    );
    expect({ moved, saved: positions.snapshot() }).toEqual({
      moved: 1,
      saved: { [same]: '120', [replaced]: '10', [ahead]: '150' },
    });
    await positions.stop();
  });
});

/** What the target runner hands on from one source batch carrying a position, for a pipeline. */
/** One batch of one-byte lines of /f (each with its offsets, as the file source makes them) through `stages`. */
async function positionsThrough(
  stages: unknown[],
  lines = ['a', 'b'],
): Promise<(readonly FilePosition[] | undefined)[]> {
  const clock = { now: () => 1_000n };
  const metrics = new Registry();
  const { config } = loadConfigText('limits_config: {}');
  const { pipeline } = compilePipeline(stages, 'pipeline_stages', {
    jobName: 't',
    logger: silentLogger,
    metrics,
    clock,
  });
  const source: Source = {
    kind: 'test',
    batches: async function* () {
      yield {
        entries: lines.map((line, n) =>
          newEntry(
            line,
            { job: 't' },
            BigInt(n + 1),
            {},
            { file: at('/f', 0), start: 2 * n, end: 2 * n + 2 },
          ),
        ),
        ack() {},
        positions: [at('/f', 2 * lines.length)],
      };
    },
    stop: async () => undefined,
  };
  const out: (readonly FilePosition[] | undefined)[] = [];
  for await (const batch of runTarget({
    source,
    pipeline,
    limits: createLimits(config!.limits_config, metrics, clock),
    clock,
  }))
    out.push(batch.positions);
  return out;
}

describe('target runner and positions', () => {
  it('passes a batch position on when no stage can hold entries back', async () => {
    expect(await positionsThrough([{ labels: { job: null } }])).toEqual([[at('/f', 4)]]);
  });

  it('moves it back to the start of the oldest line a stage still holds (multiline)', async () => {
    const out = await positionsThrough([{ multiline: { firstline: '^a' } }], ['a', 'b', 'a']);
    // The block "a\nb" is out while the second "a" (offset 4) is held; at the end it is out too.
    expect(out).toEqual([[at('/f', 4)], [at('/f', 6)]]);
  });
});
