import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePushRequest, type PushStream } from '../src/loki/push_proto.js';
import { compress } from '../src/loki/snappy.js';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

const NOW_MS = Date.UTC(2024, 0, 1, 12);
const ts = (offsetMs = 0) => BigInt(NOW_MS + offsetMs) * 1_000_000n;

let loki: LokiReceiver;
/** discover_service_name off: labels stored exactly as sent, `{}` rejected. */
let strict: LokiReceiver;
beforeAll(async () => {
  loki = await startLokiReceiver({ nowMs: () => NOW_MS });
  strict = await startLokiReceiver({ nowMs: () => NOW_MS, discoverServiceName: [] });
});
afterAll(async () => {
  await loki.stop();
  await strict.stop();
});

let tenantSeq = 0;
const freshTenant = () => `t${++tenantSeq}`;

async function pushProto(tenant: string | undefined, streams: PushStream[], to: LokiReceiver = loki) {
  const response = await fetch(to.pushUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(tenant ? { 'x-scope-orgid': tenant } : {}) },
    body: compress(encodePushRequest({ streams })),
  });
  return { status: response.status, body: await response.text() };
}

const entry = (line: string, at = 0) => ({ timestamp: ts(at), line, structuredMetadata: [] });

describe('Loki-faithful receiver', () => {
  it('stores a protobuf+snappy push per stream with structured metadata and answers 204', async () => {
    const tenant = freshTenant();
    const result = await pushProto(tenant, [
      {
        labels: '{job="api", env="prod"}',
        entries: [{ timestamp: ts(), line: 'one', structuredMetadata: [{ name: 'trace_id', value: 'abc' }] }],
      },
      { labels: '{job="db"}', entries: [entry('two')] },
    ]);
    expect(result).toEqual({ status: 204, body: '' });
    expect(loki.streams({ job: 'api' }, tenant)).toEqual([
      {
        labels: { env: 'prod', job: 'api', service_name: 'api' },
        entries: [{ timestamp: ts(), line: 'one', structuredMetadata: [{ name: 'trace_id', value: 'abc' }] }],
      },
    ]);
    expect(loki.count(tenant)).toBe(2);
  });

  it('accepts gzip-compressed JSON pushes with structured metadata', async () => {
    const tenant = freshTenant();
    const body = JSON.stringify({
      streams: [{ stream: { job: 'web' }, values: [[String(ts()), 'hello', { user: 'ann' }]] }],
    });
    const response = await fetch(loki.pushUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-scope-orgid': tenant },
      body: gzipSync(body),
    });
    expect(response.status).toBe(204);
    expect(loki.streams({}, tenant)[0]?.entries[0]?.structuredMetadata).toEqual([
      { name: 'user', value: 'ann' },
    ]);
  });

  it('rejects the whole request when a label set cannot be parsed (invalid label name)', async () => {
    const tenant = freshTenant();
    const result = await pushProto(tenant, [
      { labels: '{job="ok"}', entries: [entry('kept?')] },
      { labels: '{1job="x"}', entries: [entry('bad')] },
    ]);
    expect(result).toEqual({
      status: 400,
      body: `couldn't parse labels: 1:2: parse error: unexpected character inside braces: '1'\n`,
    });
    expect(loki.count(tenant)).toBe(0);
  });

  it('names streams as Loki 3 does: service_name from the first discovery label, else unknown_service', async () => {
    const tenant = freshTenant();
    const result = await pushProto(tenant, [
      { labels: '{}', entries: [entry('no labels')] },
      { labels: '{app="shop", job="web"}', entries: [entry('app wins over job')] },
    ]);
    expect(result.status).toBe(204);
    expect(loki.streams({}, tenant).map((s) => s.labels)).toEqual([
      { service_name: 'unknown_service' },
      { app: 'shop', job: 'web', service_name: 'shop' },
    ]);
  });

  it('rejects a stream with an empty label set (discovery off) but stores the valid streams of the same request', async () => {
    const tenant = freshTenant();
    const result = await pushProto(
      tenant,
      [
        { labels: '{}', entries: [entry('no labels')] },
        { labels: '{job="ok"}', entries: [entry('fine')] },
      ],
      strict,
    );
    expect(result).toEqual({ status: 400, body: 'error at least one label pair is required per stream\n' });
    expect(strict.lines({ job: 'ok' }, tenant)).toEqual(['fine']);
  });

  it('treats a JSON stream without labels as an empty label set', async () => {
    const response = await fetch(strict.pushUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-scope-orgid': freshTenant() },
      body: JSON.stringify({ streams: [{ values: [[String(ts()), 'orphan']] }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('error at least one label pair is required per stream\n');
  });

  it('answers 422 to a push with no streams at all', async () => {
    const result = await pushProto(freshTenant(), []);
    expect(result).toEqual({
      status: 422,
      body: 'error at least one valid stream is required for ingestion\n',
    });
  });

  it('rejects more than 15 label names, quoting the stream as service-name discovery rewrote it', async () => {
    const pairs = Array.from({ length: 16 }, (_, i) => `l${String(i).padStart(2, '0')}="v"`);
    const result = await pushProto(freshTenant(), [
      { labels: '{' + pairs.join(',') + '}', entries: [entry('x')] },
    ]);
    // service_name is added (unknown_service) but not counted, as in Loki.
    const quoted = '{' + [...pairs, 'service_name="unknown_service"'].join(', ') + '}';
    expect(result).toEqual({
      status: 400,
      body: `entry for stream '${quoted}' has 16 label names; limit 15\n`,
    });
  });

  it('rejects duplicate label names', async () => {
    const result = await pushProto(
      freshTenant(),
      [{ labels: '{a="1", a="2"}', entries: [entry('x')] }],
      strict,
    );
    expect(result).toEqual({ status: 400, body: `stream '{a="1", a="2"}' has duplicate label name: 'a'\n` });
  });

  it('rejects only the line over max_line_size and groups different errors as Loki does', async () => {
    const tenant = freshTenant();
    const long = 'x'.repeat(256 * 1024 + 1);
    const result = await pushProto(tenant, [
      { labels: '{job="a"}', entries: [entry('short'), entry(long, 1)] },
      { labels: '{job="b"}', entries: [entry('y', -8 * 86_400_000)] },
    ]);
    expect(result.status).toBe(400);
    expect(result.body.trimEnd().split('; ').sort()).toEqual([
      `1 errors like: Max entry size '262144' bytes exceeded for stream '{job="a", service_name="a"}' while adding an entry with length '262145' bytes`,
      `1 errors like: entry for stream '{job="b", service_name="b"}' has timestamp too old: 2023-12-24T12:00:00Z, oldest acceptable timestamp is: 2023-12-25T12:00:00Z`,
    ]);
    expect(loki.lines({ job: 'a' }, tenant)).toEqual(['short']);
  });

  it('rejects entries older than a week, quoting both times', async () => {
    const result = await pushProto(freshTenant(), [
      { labels: '{job="old"}', entries: [entry('x', -8 * 86_400_000)] },
    ]);
    expect(result.body).toBe(
      `entry for stream '{job="old", service_name="old"}' has timestamp too old: 2023-12-24T12:00:00Z, oldest acceptable timestamp is: 2023-12-25T12:00:00Z\n`,
    );
  });

  it('keeps tenants apart and requires X-Scope-OrgID', async () => {
    const [a, b] = [freshTenant(), freshTenant()];
    await pushProto(a, [{ labels: '{job="x"}', entries: [entry('for a')] }]);
    await pushProto(b, [{ labels: '{job="x"}', entries: [entry('for b')] }]);
    expect(loki.lines({ job: 'x' }, a)).toEqual(['for a']);
    expect(loki.lines({ job: 'x' }, b)).toEqual(['for b']);
    expect(await pushProto(undefined, [{ labels: '{job="x"}', entries: [entry('nobody')] }])).toEqual({
      status: 401,
      body: 'no org id\n',
    });
  });

  it('collapses an identical (timestamp, line) repeat in a stream and accepts out-of-order entries', async () => {
    const tenant = freshTenant();
    await pushProto(tenant, [{ labels: '{job="d"}', entries: [entry('a', 10), entry('b', 20)] }]);
    await pushProto(tenant, [
      { labels: '{job="d"}', entries: [entry('a', 10), entry('early', 5), entry('b', 21)] },
    ]);
    expect(loki.lines({ job: 'd' }, tenant)).toEqual(['early', 'a', 'b', 'b']);
  });

  it('answers injected 429 with Retry-After, then recovers', async () => {
    const tenant = freshTenant();
    loki.failNext({ status: 429, retryAfter: '3', body: 'slow down\n' });
    const response = await fetch(loki.pushUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'x-scope-orgid': tenant },
      body: compress(encodePushRequest({ streams: [{ labels: '{job="r"}', entries: [entry('x')] }] })),
    });
    expect([response.status, response.headers.get('retry-after'), await response.text()]).toEqual([
      429,
      '3',
      'slow down\n',
    ]);
    expect(loki.count(tenant)).toBe(0);
    expect((await pushProto(tenant, [{ labels: '{job="r"}', entries: [entry('x')] }])).status).toBe(204);
  });

  it('refuses connections while down and accepts again on the same port when up', async () => {
    await loki.down();
    await expect(fetch(loki.pushUrl, { method: 'POST' })).rejects.toThrow();
    await loki.up();
    expect((await pushProto(freshTenant(), [{ labels: '{job="u"}', entries: [entry('x')] }])).status).toBe(
      204,
    );
  });

  it("rejects an unsupported Content-Encoding and a missing Content-Type with Loki's texts", async () => {
    const headers = { 'x-scope-orgid': freshTenant() };
    const br = await fetch(loki.pushUrl, {
      method: 'POST',
      headers: { ...headers, 'content-encoding': 'br' },
      body: 'x',
    });
    expect(await br.text()).toBe('Content-Encoding "br" not supported\n');
    const none = await fetch(loki.pushUrl, { method: 'POST', headers, body: new Uint8Array([1]) });
    expect([none.status, await none.text()]).toEqual([400, 'mime: no media type\n']);
  });
});
