/**
 * The metrics stage as Prometheus sees it: pipelines built through the real
 * registry and config validation, then the registry's exposition text.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { compilePipeline } from '../src/pipeline/pipeline.js';

const SECOND = 1_000_000_000n;

function build(stages: unknown[], clock = { ns: 0n }) {
  const metrics = new Registry();
  const { pipeline, problems } = compilePipeline(stages, 'pipeline_stages', {
    jobName: 'test',
    logger: silentLogger,
    metrics,
    clock: { now: () => clock.ns },
  });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  const push = (line: string, labels: Record<string, string> = { job: 'web' }) => {
    const out: Entry[] = [];
    pipeline.push(newEntry(line, labels, 0n), out);
    return out;
  };
  const lines = async (name: string) =>
    (await metrics.metrics()).split('\n').filter((l) => l.startsWith(name) && !l.startsWith('#'));
  return { push, lines, metrics };
}

const copyLine = (source: string) => ({ template: { source, template: '{{ .Entry }}' } });

describe('metrics stage', () => {
  it('counts every entry with match_all, labelled with the entry labels and the default prefix', async () => {
    const m = build([
      { metrics: { lines_total: { type: 'Counter', config: { match_all: true, action: 'inc' } } } },
    ]);
    m.push('a');
    m.push('b');
    m.push('c', { job: 'api', __tenant_id__: 't1' });
    expect(await m.lines('promtail_custom_lines_total')).toEqual([
      'promtail_custom_lines_total{job="web"} 2',
      'promtail_custom_lines_total{job="api"} 1',
    ]);
  });

  it('adds the line byte length with count_entry_bytes', async () => {
    const m = build([
      {
        metrics: {
          bytes_total: {
            type: 'counter',
            prefix: 'my_',
            config: { match_all: true, count_entry_bytes: true, action: 'add' },
          },
        },
      },
    ]);
    m.push('héllo'); // 6 bytes in UTF-8
    m.push('ab');
    expect(await m.lines('my_bytes_total')).toEqual(['my_bytes_total{job="web"} 8']);
  });

  it('counts only entries whose source has the configured value; source defaults to the metric name', async () => {
    const m = build([
      copyLine('status'),
      { metrics: { status: { type: 'Counter', config: { value: '500', action: 'inc' } } } },
    ]);
    for (const s of ['200', '500', '500', '404']) m.push(s);
    expect(await m.lines('promtail_custom_status')).toEqual(['promtail_custom_status{job="web"} 2']);
  });

  it('sets, adds and subtracts gauges, reading Go durations as seconds', async () => {
    const set = build([
      copyLine('v'),
      { metrics: { g: { type: 'Gauge', source: 'v', config: { action: 'set' } } } },
    ]);
    set.push('3');
    set.push('1.5s');
    expect(await set.lines('promtail_custom_g')).toEqual(['promtail_custom_g{job="web"} 1.5']);

    const add = build([
      copyLine('v'),
      { metrics: { g: { type: 'Gauge', source: 'v', config: { action: 'add' } } } },
    ]);
    add.push('3');
    add.push('250ms');
    expect(await add.lines('promtail_custom_g')).toEqual(['promtail_custom_g{job="web"} 3.25']);

    const sub = build([
      copyLine('v'),
      { metrics: { g: { type: 'Gauge', source: 'v', config: { action: 'sub' } } } },
    ]);
    sub.push('3');
    expect(await sub.lines('promtail_custom_g')).toEqual(['promtail_custom_g{job="web"} -3']);

    const incdec = build([
      copyLine('v'),
      { metrics: { g: { type: 'Gauge', source: 'v', config: { action: 'dec' } } } },
    ]);
    incdec.push('anything');
    expect(await incdec.lines('promtail_custom_g')).toEqual(['promtail_custom_g{job="web"} -1']);
  });

  it('observes histogram values into cumulative buckets', async () => {
    const m = build([
      copyLine('latency'),
      {
        metrics: {
          latency: { type: 'Histogram', description: 'request latency', config: { buckets: [0.5, 1] } },
        },
      },
    ]);
    for (const v of ['0.25', '0.75', '2', 'oops']) m.push(v);
    expect(await m.lines('promtail_custom_latency')).toEqual([
      'promtail_custom_latency_bucket{job="web",le="0.5"} 1',
      'promtail_custom_latency_bucket{job="web",le="1"} 2',
      'promtail_custom_latency_bucket{job="web",le="+Inf"} 3',
      'promtail_custom_latency_sum{job="web"} 3',
      'promtail_custom_latency_count{job="web"} 3',
    ]);
    expect(await m.metrics.metrics()).toContain('# HELP promtail_custom_latency request latency');
  });

  it('leaves the metric alone when the source is missing', async () => {
    const m = build([{ metrics: { absent: { type: 'Counter', config: { action: 'inc' } } } }]);
    m.push('x');
    expect(await m.lines('promtail_custom_absent')).toEqual([]);
  });

  it('drops series idle for max_idle_duration when read', async () => {
    const clock = { ns: 0n };
    const m = build(
      [
        {
          metrics: {
            c: { type: 'Counter', max_idle_duration: '10s', config: { match_all: true, action: 'inc' } },
          },
        },
      ],
      clock,
    );
    m.push('x', { job: 'a' });
    clock.ns = 5n * SECOND;
    m.push('x', { job: 'b' });
    clock.ns = 12n * SECOND;
    expect(await m.lines('promtail_custom_c')).toEqual(['promtail_custom_c{job="b"} 1']);
  });

  it('shares one metric between two pipelines that declare the same name', async () => {
    const metrics = new Registry();
    const stages = [
      { metrics: { shared_total: { type: 'Counter', config: { match_all: true, action: 'inc' } } } },
    ];
    const options = { jobName: 'test', logger: silentLogger, metrics, clock: { now: () => 0n } };
    const a = compilePipeline(stages, 'a', options).pipeline;
    const b = compilePipeline(stages, 'b', options).pipeline;
    a.push(newEntry('x', { job: 'a' }, 0n), []);
    b.push(newEntry('x', { job: 'b' }, 0n), []);
    const text = await metrics.metrics();
    expect(text).toContain('promtail_custom_shared_total{job="a"} 1');
    expect(text).toContain('promtail_custom_shared_total{job="b"} 1');
  });
});
