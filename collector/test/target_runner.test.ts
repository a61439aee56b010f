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
import type { Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';
import type { Clock } from '../src/pipeline/stage.js';
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
