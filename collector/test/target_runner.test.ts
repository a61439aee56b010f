/**
 * A target's data path without a process: source -> pipeline -> limits ->
 * batches, with a fixed clock and no sleeping on the wall clock.
 */
import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../src/config/load.js';
import { createLimits, truncateUtf8 } from '../src/limits.js';
import { silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';
import type { Clock } from '../src/pipeline/stage.js';
import type { Source } from '../src/sources/source.js';
import { createStdinSource } from '../src/sources/stdin.js';
import { runTarget } from '../src/target_runner.js';

const fixedClock = (): Clock & { advance(ms: number): void } => {
  let now = 1_700_000_000_000_000_000n;
  return { now: () => now, advance: (ms) => (now += BigInt(ms) * 1_000_000n) };
};

async function run(limitsYaml: string, lines: string[], stages: unknown[] = []) {
  const { config } = loadConfigText(`limits_config: ${limitsYaml}`);
  if (!config) throw new Error('bad limits');
  const clock = fixedClock();
  const metrics = new Registry();
  const slept: number[] = [];
  const { pipeline } = compilePipeline(stages, 'pipeline_stages', {
    jobName: 't',
    logger: silentLogger,
    metrics,
    clock,
  });
  const source = createStdinSource({
    input: Readable.from([lines.join('\n') + '\n']),
    format: 'raw',
    labels: { job: 't' },
    clock,
    logger: silentLogger,
  });
  const out: Entry[] = [];
  let acks = 0;
  const batches = runTarget({
    source,
    pipeline,
    limits: createLimits(config.limits_config, metrics, clock),
    clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  });
  for await (const batch of batches) {
    out.push(...batch.entries);
    batch.ack();
    acks++;
  }
  const dropped = await metrics.getSingleMetricAsString('dropped_entries_total');
  const rateDropped = await metrics.getSingleMetricAsString('logentry_dropped_lines_total');
  return { lines: out.map((e) => e.line), slept, acks, dropped, rateDropped };
}

describe('limits_config on a target', () => {
  it('drops lines over max_line_size and counts them', async () => {
    const r = await run('{ max_line_size: 5 }', ['short', 'too long', 'ok']);
    expect(r.lines).toEqual(['short', 'ok']);
    expect(r.dropped).toContain('dropped_entries_total{reason="line_too_long"} 1');
  });

  it('truncates instead with max_line_size_truncate, never splitting a character', async () => {
    const r = await run('{ max_line_size: 4B, max_line_size_truncate: true }', ['abcdef', 'héllo']);
    expect(r.lines).toEqual(['abcd', 'hél']);
    expect(truncateUtf8('€€', 4)).toBe('€');
  });

  it('drops lines over readline_rate when readline_rate_drop (the default)', async () => {
    const r = await run('{ readline_rate_enabled: true, readline_rate: 1, readline_burst: 2 }', [
      'a',
      'b',
      'c',
      'd',
    ]);
    expect(r.lines).toEqual(['a', 'b']);
    expect(r.rateDropped).toContain('logentry_dropped_lines_total{reason="global_rate_limiter_drop"} 2');
  });

  it('waits for tokens instead when readline_rate_drop is false, keeping every line', async () => {
    const r = await run(
      '{ readline_rate_enabled: true, readline_rate: 10, readline_burst: 1, readline_rate_drop: false }',
      ['a', 'b', 'c'],
    );
    expect(r.lines).toEqual(['a', 'b', 'c']);
    expect(r.slept).toEqual([100, 100]);
  });

  it('does nothing when readline_rate_enabled is off', async () => {
    const r = await run('{ readline_rate: 1, readline_burst: 1 }', ['a', 'b', 'c']);
    expect(r.lines).toEqual(['a', 'b', 'c']);
  });

  it('releases entries a stage held when the input ends', async () => {
    const r = await run('{}', ['a', 'b', 'c'], [{ limit: { rate: 1, burst: 1 } }]);
    expect(r.lines).toEqual(['a', 'b', 'c']);
  });
});

describe('spooled positions when stages hold lines', () => {
  /** Lines of one file, with their byte offsets, as the file source makes them. */
  const fileLines = (path: string, from: number, lines: string[]) => {
    const file = { path, dev: 1, ino: path.length };
    let start = from;
    const entries = lines.map((line, n) => {
      const end = start + Buffer.byteLength(line) + 1;
      const entry = newEntry(line, { job: 't', filename: path }, BigInt(n + 1), {}, { file, start, end });
      start = end;
      return entry;
    });
    return { entries, position: { ...file, offset: start } };
  };

  /** Runs batches of lines (two files may share a batch) and returns each yielded batch's positions. */
  async function positionsAfter(stages: unknown[], batches: ReturnType<typeof fileLines>[][]) {
    const clock = fixedClock();
    const metrics = new Registry();
    const { pipeline } = compilePipeline(stages, 'pipeline_stages', {
      jobName: 't',
      logger: silentLogger,
      metrics,
      clock,
    });
    const { config } = loadConfigText('{}');
    const source: Source = {
      kind: 'file',
      async *batches() {
        for (const reads of batches)
          yield {
            entries: reads.flatMap((r) => r.entries),
            positions: reads.map((r) => r.position),
            ack: () => undefined,
          };
      },
      stop: async () => undefined,
    };
    const out: { lines: string[]; positions: string[] }[] = [];
    for await (const batch of runTarget({
      source,
      pipeline,
      limits: createLimits(config!.limits_config, metrics, clock),
      clock,
    })) {
      out.push({
        lines: batch.entries.map((e) => e.line),
        positions: (batch.positions ?? []).map((p) => `${p.path}@${p.offset}`),
      });
    }
    return out;
  }

  it('stops before the first line of each file still held in a multiline block, and passes it once released', async () => {
    // Offsets: "S1" 0-3, "c" 3-5, "S2" 5-8 in a.log; "T1" 0-3, "T2" 3-6 in b.log.
    const out = await positionsAfter(
      [{ multiline: { firstline: '^[ST]\\d' } }],
      [
        [fileLines('a.log', 0, ['S1', 'c']), fileLines('b.log', 0, ['T1'])],
        [fileLines('a.log', 5, ['S2'])],
        [fileLines('b.log', 3, ['T2'])],
      ],
    );
    expect(out).toEqual([
      // S1's block is out; S2 (a.log from 5) and T1 (b.log from 0) are held.
      { lines: ['S1\nc'], positions: ['a.log@5', 'b.log@0'] },
      // T1 is out: b.log resumes at T2; a.log still at the held S2.
      { lines: ['T1'], positions: ['a.log@5', 'b.log@3'] },
      // End of input: everything is out, both files resume past their last line.
      { lines: ['S2', 'T2'], positions: ['a.log@8', 'b.log@6'] },
    ]);
  });

  it('acknowledges a source batch only once a stage no longer holds any of its lines', async () => {
    // The positions file moves on source acks: acked while "S1\nc" was held, it could be saved
    // past the block, and a kill -9 would lose it.
    const clock = fixedClock();
    const metrics = new Registry();
    const { pipeline } = compilePipeline([{ multiline: { firstline: '^S\\d' } }], 'pipeline_stages', {
      jobName: 't',
      logger: silentLogger,
      metrics,
      clock,
    });
    const { config } = loadConfigText('{}');
    const events: string[] = [];
    const reads = [fileLines('a.log', 0, ['S1', 'c']), fileLines('a.log', 5, ['S2'])];
    const source: Source = {
      kind: 'file',
      async *batches() {
        for (const [n, read] of reads.entries())
          yield {
            entries: read.entries,
            positions: [read.position],
            ack: () => events.push(`source ${n + 1} acked`),
          };
      },
      stop: async () => undefined,
    };
    for await (const batch of runTarget({
      source,
      pipeline,
      limits: createLimits(config!.limits_config, metrics, clock),
      clock,
    })) {
      events.push(`spooled ${JSON.stringify(batch.entries.map((e) => e.line))}`);
      batch.ack();
    }
    expect(events).toEqual([
      // Source batch 1 ("S1", "c") is wholly held: nothing to spool, no ack.
      // Batch 2 ("S2") releases S1's block: once it is spooled, batch 1 is done; S2 is held.
      'spooled ["S1\\nc"]',
      'source 1 acked',
      // End of input releases S2, then batch 2 is done.
      'spooled ["S2"]',
      'source 2 acked',
    ]);
  });

  it('stops at the first of the partial lines a cri stage is joining', async () => {
    const cri = (flags: string, text: string) => `2024-01-01T00:00:00Z stdout ${flags} ${text}`;
    const first = fileLines('c.log', 0, [cri('F', 'whole'), cri('P', 'one ')]);
    const second = fileLines('c.log', first.position.offset, [cri('P', 'two '), cri('F', 'three')]);
    const partialStart = first.entries[1]!.origin!.start;
    const out = await positionsAfter([{ cri: {} }], [[first], [second]]);
    expect(out).toEqual([
      { lines: ['whole'], positions: [`c.log@${partialStart}`] },
      { lines: ['one two three'], positions: [`c.log@${second.position.offset}`] },
    ]);
  });

  it('stops at the first line a delaying limit still holds', async () => {
    const out = await positionsAfter(
      [{ limit: { rate: 1, burst: 1 } }],
      [[fileLines('a.log', 0, ['x', 'y', 'z'])]],
    );
    expect(out).toEqual([
      { lines: ['x'], positions: ['a.log@2'] },
      { lines: ['y', 'z'], positions: ['a.log@6'] },
    ]);
  });

  it('passes the source positions unchanged when nothing is held', async () => {
    const out = await positionsAfter(
      [],
      [[fileLines('a.log', 0, ['x', 'y']), fileLines('b.log', 10, ['z'])]],
    );
    expect(out).toEqual([{ lines: ['x', 'y', 'z'], positions: ['a.log@4', 'b.log@12'] }]);
  });
});
