/**
 * What the multiline cases table cannot say: release by max_wait_time, which
 * needs a clock that moves. The clock is injected; nothing sleeps.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';

const SECOND = 1_000_000_000n;

function setup(stages: unknown[]) {
  let now = 1_700_000_000n * SECOND;
  const { pipeline, problems } = compilePipeline(stages, 'pipeline_stages', {
    jobName: 'test',
    logger: silentLogger,
    metrics: new Registry(),
    clock: { now: () => now },
  });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  const push = (line: string, labels: Record<string, string> = {}): string[] => {
    const out: Entry[] = [];
    pipeline.push(newEntry(line, labels, now), out);
    return out.map((e) => e.line);
  };
  const advance = (ns: bigint): string[] => {
    now += ns;
    return pipeline.flush(now, false).map((e) => e.line);
  };
  return { push, advance };
}

describe('multiline max_wait_time', () => {
  it('holds a block until max_wait_time has passed since its last line', () => {
    const { push, advance } = setup([{ multiline: { firstline: '^START', max_wait_time: '2s' } }]);
    expect(push('START line')).toEqual([]);
    expect(advance(SECOND)).toEqual([]);
    expect(push('continued')).toEqual([]);
    // 1.5 s after the last line: still waiting (the wait restarts with every line, as in Promtail).
    expect(advance((3n * SECOND) / 2n)).toEqual([]);
    expect(advance(SECOND)).toEqual(['START line\ncontinued']);
    expect(advance(10n * SECOND)).toEqual([]);
  });

  it('groups lines arriving after a timeout into a new block, as Promtail does', () => {
    const { push, advance } = setup([{ multiline: { firstline: '^START', max_wait_time: '1s' } }]);
    push('START line');
    expect(advance(2n * SECOND)).toEqual(['START line']);
    expect(push('not a start line hitting timeout')).toEqual([]);
    expect(advance(2n * SECOND)).toEqual(['not a start line hitting timeout']);
  });

  it('waits per stream: one stream timing out does not release another', () => {
    const { push, advance } = setup([{ multiline: { firstline: '^START', max_wait_time: '2s' } }]);
    push('START a', { pod: 'a' });
    expect(advance(SECOND)).toEqual([]);
    push('START b', { pod: 'b' });
    expect(advance(SECOND)).toEqual(['START a']);
    expect(advance(SECOND)).toEqual(['START b']);
  });

  it('passes later stages the released block', () => {
    const { push, advance } = setup([
      { multiline: { firstline: '^\\d', max_wait_time: '1s' } },
      { regex: { expression: '^(?P<n>\\d+)' } },
      { output: { source: 'n' } },
    ]);
    push('42 first');
    push('  second');
    expect(advance(SECOND)).toEqual(['42']);
  });
});
