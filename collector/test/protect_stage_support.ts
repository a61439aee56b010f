/** Builds a pipeline of protect stages (redact, detect, encrypt, context) for their tests, with a settable clock. */
import { Registry } from 'prom-client';
import { expect } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';

export function protectPipeline(stages: unknown[]) {
  const metrics = new Registry();
  let nowMs = Date.UTC(2024, 0, 1);
  const { pipeline, problems } = compilePipeline(stages, 'pipeline_stages', {
    jobName: 'test',
    logger: silentLogger,
    metrics,
    clock: { now: () => BigInt(nowMs) * 1_000_000n },
  });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return {
    metrics,
    /** Moves the pipeline's clock forward. */
    advance(ms: number) {
      nowMs += ms;
    },
    run(lines: string[], labels: Record<string, string> = {}): Entry[] {
      const out: Entry[] = [];
      for (const line of lines) pipeline.push(newEntry(line, labels, BigInt(nowMs) * 1_000_000n), out);
      return out;
    },
    /** A counter's values keyed by its label values joined with `,`. */
    async counter(name: string): Promise<Record<string, number>> {
      const metric = metrics.getSingleMetric(name);
      if (!metric) return {};
      const values: Record<string, number> = {};
      for (const { labels, value } of (await metric.get()).values) {
        if (value > 0) values[Object.values(labels).join(',')] = value;
      }
      return values;
    },
  };
}
