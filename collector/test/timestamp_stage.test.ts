/**
 * What the timestamp cases table cannot say briefly: the fudge memory is bounded
 * (10,000 label sets, least recently used forgotten first), as in Promtail.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';

const READ_TIME = 1_000_000_000n;

describe('timestamp stage fudge memory', () => {
  it('forgets the least recently used label set beyond 10,000', () => {
    const { pipeline } = compilePipeline(
      [{ timestamp: { source: 'time', format: 'UnixNs' } }],
      'pipeline_stages',
      { jobName: 'test', logger: silentLogger, metrics: new Registry(), clock: { now: () => READ_TIME } },
    );
    const push = (stream: string, time: string | undefined): bigint => {
      const entry = newEntry('x', { stream }, READ_TIME);
      if (time !== undefined) entry.extracted.time = time;
      const out: Entry[] = [];
      pipeline.push(entry, out);
      return out[0]!.timestamp;
    };
    push('first', '100');
    push('kept', '200');
    // 10,001 label sets: the oldest, 'first', is forgotten.
    for (let i = 0; i < 9_999; i++) push(`s${i}`, '5');
    // Touching 'kept' makes it the most recent, so the next newcomer evicts s0, not 'kept'.
    expect(push('kept', undefined)).toBe(201n);
    push('one-more', '7');
    expect(push('first', undefined)).toBe(READ_TIME);
    expect(push('kept', undefined)).toBe(202n);
  });
});
