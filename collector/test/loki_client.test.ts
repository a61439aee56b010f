import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfigSchema } from '../src/config/client.js';
import { createLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { LokiClient } from '../src/sinks/loki/client.js';
import { resolveClient } from '../src/sinks/loki/config.js';
import { lokiClientMetrics } from '../src/sinks/loki/metrics.js';
import type { Batch } from '../src/sources/source.js';
import { openSpool } from '../src/spool/spool.js';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

let loki: LokiReceiver;
beforeAll(async () => {
  // Service-name discovery off, so the streams are exactly what the client sent.
  loki = await startLokiReceiver({ discoverServiceName: [] });
});
afterAll(() => loki.stop());

const BASE_MS = Date.now();
const at = (i: number) => BigInt(BASE_MS + i) * 1_000_000n;
let tenantSeq = 0;
const freshTenant = () => `client-t${++tenantSeq}`;

interface Harness {
  client: LokiClient;
  registry: Registry;
  logs: Record<string, unknown>[];
  waits: number[];
  acked: number[];
  run(batches: Entry[][]): Promise<void>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

async function harness(
  raw: Record<string, unknown>,
  extra: { sleep?: (ms: number) => Promise<void>; encoding?: 'json' | 'protobuf'; maxLineSize?: number } = {},
): Promise<Harness> {
  const config = clientConfigSchema.parse({ url: loki.pushUrl, batchwait: '10ms', ...raw });
  const resolved = await resolveClient(config, {
    userAgent: 'whodunit-collector/test',
    encoding: extra.encoding,
    limits: extra.maxLineSize ? { maxLineSize: extra.maxLineSize } : undefined,
  });
  const registry = new Registry();
  const logs: Record<string, unknown>[] = [];
  const waits: number[] = [];
  const acked: number[] = [];
  const client = new LokiClient({
    client: resolved,
    metrics: lokiClientMetrics(registry),
    logger: createLogger({ write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
    random: () => 0.999,
    sleep: async (ms) => {
      waits.push(ms);
      await extra.sleep?.(ms);
    },
  });
  return {
    client,
    registry,
    logs,
    waits,
    acked,
    run: (batches) => client.run(batchesOf(batches, acked)),
    async metric(name, labels = {}) {
      const values = (await registry.getSingleMetric(name)!.get()).values;
      return values
        .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
        .reduce((sum, v) => sum + v.value, 0);
    },
  };
}

async function* batchesOf(batches: Entry[][], acked: number[]): AsyncGenerator<Batch> {
  for (const [index, entries] of batches.entries()) yield { entries, ack: () => acked.push(index) };
}

const line = (
  text: string,
  labels: Record<string, string>,
  i: number,
  metadata: Record<string, string> = {},
) => newEntry(text, labels, at(i), metadata);

describe('Loki client against the Loki-faithful receiver', () => {
  it('pushes protobuf+snappy with a whodunit User-Agent, external labels under entry labels, and acks after delivery', async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant, external_labels: { env: 'prod', job: 'external' } });
    await h.run([
      [line('first', { job: 'api' }, 1, { trace_id: 't1' }), line('second', { job: 'api' }, 2)],
      [line('third', { job: 'db', env: 'dev' }, 3)],
    ]);
    expect(loki.streams({ job: 'api' }, tenant)).toEqual([
      {
        labels: { env: 'prod', job: 'api' },
        entries: [
          { timestamp: at(1), line: 'first', structuredMetadata: [{ name: 'trace_id', value: 't1' }] },
          { timestamp: at(2), line: 'second', structuredMetadata: [] },
        ],
      },
    ]);
    expect(loki.streams({ job: 'db' }, tenant)[0]?.labels).toEqual({ env: 'dev', job: 'db' });
    expect(h.acked).toEqual([0, 1]);
    const request = loki.requests.find((r) => r.tenant === tenant)!;
    expect(request.headers['user-agent']).toBe('whodunit-collector/test');
    expect(request.headers['content-type']).toBe('application/x-protobuf');
    expect(await h.metric('promtail_sent_entries_total')).toBe(3);
  });

  it('sends one push per tenant, taking __tenant_id__ over tenant_id and removing the label', async () => {
    const [fallback, special] = [freshTenant(), freshTenant()];
    const h = await harness({ tenant_id: fallback });
    await h.run([
      [line('normal', { job: 'x' }, 1), line('special', { job: 'x', __tenant_id__: special }, 2)],
    ]);
    expect(loki.lines({ job: 'x' }, fallback)).toEqual(['normal']);
    expect(loki.streams({ job: 'x' }, special)).toEqual([
      { labels: { job: 'x' }, entries: [{ timestamp: at(2), line: 'special', structuredMetadata: [] }] },
    ]);
  });

  it("drops a batch Loki answers 4xx, counts it under Loki's reason, logs Loki's text once, and goes on", async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant, batchsize: 1 });
    const weekOld = BigInt(BASE_MS - 8 * 86_400_000) * 1_000_000n;
    await h.run([
      [newEntry('ancient', { job: 'old' }, weekOld)],
      [newEntry('ancient too', { job: 'old' }, weekOld + 1n)],
      [line('fresh', { job: 'old' }, 5)],
    ]);
    expect(loki.lines({ job: 'old' }, tenant)).toEqual(['fresh']);
    expect(h.acked).toEqual([0, 1, 2]);
    expect(await h.metric('promtail_dropped_entries_total', { reason: 'greater_than_max_sample_age' })).toBe(
      2,
    );
    const drops = h.logs.filter((l) => l.msg === 'batch dropped');
    expect(drops).toHaveLength(1);
    expect(drops[0]?.error).toMatch(/^entry for stream '\{job="old"\}' has timestamp too old: /);
    expect(h.waits).toEqual([]);
  });

  it('retries a 429 after the Retry-After the server asked for, then delivers', async () => {
    const tenant = freshTenant();
    const h = await harness({
      tenant_id: tenant,
      backoff_config: { min_period: '100ms', max_period: '10s' },
    });
    loki.failNext({ status: 429, retryAfter: '3', body: 'Ingestion rate limit exceeded\n' });
    await h.run([[line('patient', { job: 'r' }, 1)]]);
    expect(h.waits).toEqual([3000]);
    expect(loki.lines({ job: 'r' }, tenant)).toEqual(['patient']);
    expect(await h.metric('promtail_batch_retries_total')).toBe(1);
  });

  it('drops rate-limited batches at once with drop_rate_limited_batches', async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant, drop_rate_limited_batches: true });
    loki.failNext({ status: 429 });
    await h.run([[line('shed', { job: 'rl' }, 1)]]);
    expect(h.waits).toEqual([]);
    expect(await h.metric('promtail_dropped_entries_total', { reason: 'rate_limited' })).toBe(1);
  });

  it('retries 5xx with exponential backoff and keeps the batch whole', async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant, backoff_config: { min_period: '100ms', max_period: '1s' } });
    loki.failNext({ status: 500 }, 3);
    await h.run([[line('a', { job: 'five' }, 1), line('b', { job: 'five' }, 2)]]);
    // jitter picks the top of [d/2, d): 100ms, 200ms, 400ms
    expect(h.waits.map(Math.round)).toEqual([100, 200, 400]);
    expect(loki.lines({ job: 'five' }, tenant)).toEqual(['a', 'b']);
  });

  it('gives up after max_retries and counts the batch as dropped', async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant, backoff_config: { min_period: '10ms', max_retries: 2 } });
    loki.failNext({ status: 503 }, 3);
    await h.run([[line('lost', { job: 'mr' }, 1)]]);
    expect(h.waits).toHaveLength(2);
    expect(await h.metric('promtail_dropped_entries_total', { reason: 'max_retries' })).toBe(1);
    expect(h.acked).toEqual([0]);
  });

  it('stops during a retry without acknowledging what Loki never accepted', async () => {
    const tenant = freshTenant();
    loki.failNext({ status: 503 });
    const h = await harness(
      { tenant_id: tenant, backoff_config: { min_period: '10ms', max_retries: 0 } },
      { sleep: async () => h.client.stop() },
    );
    await h.run([[line('unsent', { job: 'stop' }, 1)]]);
    expect(h.acked).toEqual([]);
    expect(loki.count(tenant)).toBe(0);
  });

  it('rides out connection refused until the receiver is back', async () => {
    const tenant = freshTenant();
    await loki.down();
    const h = await harness(
      { tenant_id: tenant, backoff_config: { min_period: '10ms' } },
      { sleep: async () => (h.waits.length === 2 ? loki.up() : undefined) },
    );
    await h.run([[line('survivor', { job: 'down' }, 1)]]);
    expect(h.waits).toHaveLength(2);
    expect(loki.lines({ job: 'down' }, tenant)).toEqual(['survivor']);
  });

  it('fixes entries Loki would reject instead of losing the batch', async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant }, { maxLineSize: 10 });
    const many = Object.fromEntries(
      Array.from({ length: 15 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v']),
    );
    await h.run([
      [
        line('bad name', { 'http.method': 'GET', job: 'fix' }, 1),
        line('too many', { ...many, job: 'fix2' }, 2),
        line('0123456789abcdef', { job: 'fix3' }, 3),
        line('no labels', {}, 4),
      ],
    ]);
    expect(loki.streams({ job: 'fix' }, tenant)[0]?.labels).toEqual({ http_method: 'GET', job: 'fix' });
    const crowded = loki.streams({ job: 'fix2' }, tenant)[0]!;
    expect(Object.keys(crowded.labels)).toHaveLength(15);
    expect(crowded.entries[0]?.structuredMetadata).toEqual([{ name: 'l14', value: 'v' }]);
    expect(loki.lines({ job: 'fix3' }, tenant)).toEqual(['0123456789']);
    expect(loki.lines({ service_name: 'unknown_service' }, tenant)).toEqual(['no labels']);
    for (const reason of [
      'invalid_label_name',
      'max_label_names_per_series',
      'line_too_long',
      'missing_labels',
    ]) {
      expect(await h.metric('whodunit_client_mutated_entries_total', { reason })).toBe(1);
    }
    expect(await h.metric('promtail_dropped_entries_total')).toBe(0);
  });

  it('pushes once batchwait has passed even while the source has nothing more to give', async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant, batchwait: '20ms' });
    const acked: string[] = [];
    async function* idleAfterOne(): AsyncGenerator<Batch> {
      yield { entries: [line('lonely', { job: 'wait' }, 1)], ack: () => acked.push('lonely') };
      // The source goes quiet until Loki has the entry: only batchwait can get it there.
      await loki.waitForCount(1, tenant);
    }
    await h.client.run(idleAfterOne());
    expect(loki.lines({ job: 'wait' }, tenant)).toEqual(['lonely']);
    expect(acked).toEqual(['lonely']);
  });

  it('splits at batchsize and keeps the order of a stream across pushes', async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant, batchsize: 100 });
    const entries = Array.from({ length: 30 }, (_, i) =>
      line(`line-${String(i).padStart(2, '0')}-${'x'.repeat(20)}`, { job: 'big' }, i),
    );
    await h.run([entries.slice(0, 10), entries.slice(10)]);
    expect(loki.lines({ job: 'big' }, tenant)).toEqual(entries.map((e) => e.line));
    expect(loki.requests.filter((r) => r.tenant === tenant).length).toBeGreaterThanOrEqual(9);
    expect(h.acked).toEqual([0, 1]);
  });

  it("can send Loki's JSON encoding", async () => {
    const tenant = freshTenant();
    const h = await harness({ tenant_id: tenant }, { encoding: 'json' });
    await h.run([[line('as json', { job: 'json' }, 1, { k: 'v' })]]);
    expect(loki.streams({ job: 'json' }, tenant)[0]?.entries).toEqual([
      { timestamp: at(1), line: 'as json', structuredMetadata: [{ name: 'k', value: 'v' }] },
    ]);
    expect(loki.requests.find((r) => r.tenant === tenant)?.headers['content-type']).toBe('application/json');
  });

  it('sends basic auth and custom headers', async () => {
    const tenant = freshTenant();
    const h = await harness({
      tenant_id: tenant,
      basic_auth: { username: 'ann', password: 's3cret' },
      headers: { 'X-Extra': 'yes' },
    });
    await h.run([[line('auth', { job: 'auth' }, 1)]]);
    const request = loki.requests.find((r) => r.tenant === tenant)!;
    expect(request.headers.authorization).toBe('Basic ' + Buffer.from('ann:s3cret').toString('base64'));
    expect(request.headers['x-extra']).toBe('yes');
    expect(JSON.stringify(h.logs)).not.toContain('s3cret');
  });

  it('runs several clients side by side, each with its own progress', async () => {
    const other = await startLokiReceiver({ discoverServiceName: [] });
    try {
      const tenant = freshTenant();
      const a = await harness({ tenant_id: tenant });
      const config = clientConfigSchema.parse({
        url: other.pushUrl,
        batchwait: '10ms',
        tenant_id: tenant,
        backoff_config: { min_period: '10ms' },
      });
      const b = new LokiClient({
        client: await resolveClient(config, { userAgent: 'whodunit-collector/test' }),
        metrics: lokiClientMetrics(a.registry),
        logger: createLogger({ write: () => undefined }),
        sleep: async () => other.up(),
      });
      await other.down();
      const bAcked: number[] = [];
      const batches = [[line('fan', { job: 'fan' }, 1)], [line('out', { job: 'fan' }, 2)]];
      await Promise.all([a.run(batches), b.run(batchesOf(batches, bAcked))]);
      expect(loki.lines({ job: 'fan' }, tenant)).toEqual(['fan', 'out']);
      expect(other.lines({ job: 'fan' }, tenant)).toEqual(['fan', 'out']);
      expect([a.acked, bAcked]).toEqual([
        [0, 1],
        [0, 1],
      ]);
      expect(await a.metric('promtail_batch_retries_total', { host: a.client.name })).toBe(0);
    } finally {
      await other.stop();
    }
  });

  it('sends spooled records without decoding them: split at batchsize, in order, fixed where needed', async () => {
    const tenant = freshTenant();
    const dir = await mkdtemp(join(tmpdir(), 'whodunit-client-spool-'));
    try {
      const spool = await openSpool(dir, { clients: ['loki'] });
      const plainLines = Array.from({ length: 30 }, (_, i) =>
        line(`spooled-${String(i).padStart(2, '0')}`, { job: 'sp' }, i),
      );
      await spool.append(plainLines.slice(0, 20));
      await spool.append([
        ...plainLines.slice(20),
        line('bad name', { job: 'sp-fix', 'http.method': 'GET' }, 40),
        line('0123456789abcdef', { job: 'sp-long' }, 41),
      ]);
      const h = await harness({ tenant_id: tenant, batchsize: 100 }, { maxLineSize: 12 });
      const reader = spool.reader('loki')[Symbol.asyncIterator]();
      async function* spooled(): AsyncGenerator<Batch> {
        for (let i = 0; i < 2; i++) yield (await reader.next()).value!;
      }
      await h.client.run(spooled());
      expect(loki.lines({ job: 'sp' }, tenant)).toEqual(plainLines.map((e) => e.line));
      expect(loki.requests.filter((r) => r.tenant === tenant).length).toBeGreaterThanOrEqual(3); // 300 bytes of lines
      expect(loki.streams({ job: 'sp-fix' }, tenant)[0]?.labels).toEqual({
        http_method: 'GET',
        job: 'sp-fix',
      });
      expect(loki.lines({ job: 'sp-long' }, tenant)).toEqual(['0123456789ab']);
      expect(await h.metric('whodunit_client_mutated_entries_total', { reason: 'invalid_label_name' })).toBe(
        1,
      );
      expect(await h.metric('whodunit_client_mutated_entries_total', { reason: 'line_too_long' })).toBe(1);
      expect(await h.metric('promtail_sent_entries_total')).toBe(32);
      expect(spool.lag('loki')).toBe(0); // both records acknowledged
      await spool.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
