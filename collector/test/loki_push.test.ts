import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { encodePushRequest } from '../src/loki/push_proto.js';
import { compress } from '../src/loki/snappy.js';
import type { Entry } from '../src/pipeline/entry.js';
import { createLokiPushSource, type LokiPushSource } from '../src/sources/loki_push.js';
import { lokiPushConfigSchema } from '../src/sources/loki_push_config.js';
import { parseLabelSet } from '../src/sources/loki_push_labels.js';
import { relabelConfigSchema } from '../src/sources/relabel.js';

/**
 * Protobuf written by hand, field by field, from Loki's push.proto (not with
 * the codec under test): the bytes Promtail and winston-loki put on the wire.
 */
const pb = {
  varint(n: number | bigint): number[] {
    let v = BigInt(n);
    const out: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      out.push(b);
    } while (v > 0n);
    return out;
  },
  bytes(field: number, payload: number[]): number[] {
    return [(field << 3) | 2, ...pb.varint(payload.length), ...payload];
  },
  string(field: number, s: string): number[] {
    return pb.bytes(field, [...Buffer.from(s, 'utf8')]);
  },
  number(field: number, n: number | bigint): number[] {
    return [(field << 3) | 0, ...pb.varint(n)];
  },
};

function handEncodedPush(
  labels: string,
  entries: { s: number; ns: number; line: string; meta?: [string, string][] }[],
) {
  const entryBytes = entries.map((e) =>
    pb.bytes(2, [
      ...pb.bytes(1, [...pb.number(1, e.s), ...pb.number(2, e.ns)]),
      ...pb.string(2, e.line),
      ...(e.meta ?? []).flatMap(([k, v]) => pb.bytes(3, [...pb.string(1, k), ...pb.string(2, v)])),
    ]),
  );
  return Buffer.from(pb.bytes(1, [...pb.string(1, labels), ...entryBytes.flat()]));
}

const sources: LokiPushSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
});

async function startPush(config: Record<string, unknown> = {}, relabel: unknown[] = [], extra = {}) {
  const source = await createLokiPushSource({
    config: lokiPushConfigSchema.parse({
      server: { http_listen_address: '127.0.0.1', http_listen_port: 0 },
      ...config,
    }),
    relabelConfigs: relabel.map((r) => relabelConfigSchema.parse(r)),
    logger: silentLogger,
    metrics: new Registry(),
    clock: { now: () => 7n },
    ...extra,
  });
  sources.push(source);
  const received: Entry[] = [];
  void (async () => {
    for await (const batch of source.batches()) {
      received.push(...batch.entries);
      batch.ack();
    }
  })();
  const url = (path: string) => `http://127.0.0.1:${source.address.port}${path}`;
  return { source, received, url };
}

const poll = { timeout: 3000, interval: 5 };

describe('loki push receiver', () => {
  it('takes protobuf + snappy as Promtail and winston-loki send it (204), keeping structured metadata', async () => {
    const { received, url } = await startPush({ use_incoming_timestamp: true, labels: { pushserver: 'p1' } });
    const body = handEncodedPush('{app="web", env="prod"}', [
      { s: 1700000000, ns: 123, line: 'GET /index.html 200', meta: [['trace_id', 'abc']] },
      { s: 1700000001, ns: 0, line: 'second' },
    ]);
    const res = await fetch(url('/loki/api/v1/push'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: compress(body),
    });
    expect(res.status).toBe(204);
    await expect.poll(() => received.length, poll).toBe(2);
    expect(received[0]).toMatchObject({
      line: 'GET /index.html 200',
      timestamp: 1700000000000000123n,
      labels: { app: 'web', env: 'prod', pushserver: 'p1' },
      structuredMetadata: { trace_id: 'abc' },
    });
    expect(received[1]!.timestamp).toBe(1700000001000000000n);
  });

  it('takes what the shared encoder produces (the Loki client of this collector)', async () => {
    const { received, url } = await startPush();
    const body = encodePushRequest({
      streams: [{ labels: '{job="a"}', entries: [{ timestamp: 5n, line: 'x', structuredMetadata: [] }] }],
    });
    const res = await fetch(url('/loki/api/v1/push'), { method: 'POST', body: compress(body) });
    expect(res.status).toBe(204);
    await expect
      .poll(() => received.map((e) => [e.line, e.labels, e.timestamp]), poll)
      .toEqual([['x', { job: 'a' }, 7n]]);
  });

  it('takes JSON, gzipped or not, with the receive time unless use_incoming_timestamp', async () => {
    const { received, url } = await startPush();
    const json = JSON.stringify({
      streams: [
        {
          stream: { app: 'api' },
          values: [
            ['1700000000000000000', 'one'],
            ['1700000000000000001', 'two', { user: 'bob' }],
          ],
        },
      ],
    });
    const plain = await fetch(url('/loki/api/v1/push'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: json,
    });
    expect(plain.status).toBe(204);
    const zipped = await fetch(url('/loki/api/v1/push'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Encoding': 'gzip' },
      body: gzipSync(json),
    });
    expect(zipped.status).toBe(204);
    await expect.poll(() => received.map((e) => e.line), poll).toEqual(['one', 'two', 'one', 'two']);
    expect(received.map((e) => e.timestamp)).toEqual([7n, 8n, 9n, 10n]);
    expect(received[1]!.structuredMetadata).toEqual({ user: 'bob' });
  });

  it('answers 400 with the reason for bodies that do not decode', async () => {
    const { url } = await startPush();
    const post = (body: string | Buffer, contentType = 'application/x-protobuf') =>
      fetch(url('/loki/api/v1/push'), { method: 'POST', headers: { 'Content-Type': contentType }, body });
    const notSnappy = await post(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(notSnappy.status).toBe(400);
    expect(await notSnappy.text()).toMatch(/snappy/);
    const badJson = await post('{"streams": [', 'application/json');
    expect(badJson.status).toBe(400);
    expect(await badJson.text()).toMatch(/failed to parse JSON body/);
    const badValue = await post(
      '{"streams":[{"stream":{"a":"b"},"values":[["now","x"]]}]}',
      'application/json',
    );
    expect(badValue.status).toBe(400);
    expect(await badValue.text()).toMatch(/invalid timestamp/);
  });

  it('a stream with unparsable labels is refused with 400, the other streams are taken', async () => {
    const { received, url } = await startPush();
    const body = Buffer.concat([
      handEncodedPush('{app="ok"}', [{ s: 1, ns: 0, line: 'kept' }]),
      handEncodedPush('{app=unquoted}', [{ s: 1, ns: 0, line: 'lost' }]),
    ]);
    const res = await fetch(url('/loki/api/v1/push'), { method: 'POST', body: compress(body) });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/expected a quoted label value/);
    await expect.poll(() => received.map((e) => e.line), poll).toEqual(['kept']);
  });

  it('relabel_configs apply per stream; a dropped stream does not drop the rest of the request', async () => {
    const { received, url } = await startPush({}, [
      { source_labels: ['app'], regex: 'noise', action: 'drop' },
      { source_labels: ['app'], target_label: 'service' },
    ]);
    const json = JSON.stringify({
      streams: [
        { stream: { app: 'noise' }, values: [['1', 'dropped']] },
        { stream: { app: 'web', __meta: 'x' }, values: [['2', 'kept']] },
      ],
    });
    const res = await fetch(url('/loki/api/v1/push'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: json,
    });
    expect(res.status).toBe(204);
    await expect
      .poll(() => received.map((e) => [e.line, e.labels]), poll)
      .toEqual([['kept', { app: 'web', service: 'web' }]]);
  });

  it('/promtail/api/v1/raw takes one entry per non-empty line with the configured labels', async () => {
    const { received, url } = await startPush({ labels: { job: 'raw' } });
    const res = await fetch(url('/promtail/api/v1/raw'), {
      method: 'POST',
      body: 'first\r\n\nsecond\nthird',
    });
    expect(res.status).toBe(204);
    await expect.poll(() => received.map((e) => e.line), poll).toEqual(['first', 'second', 'third']);
    expect(received[0]!.labels).toEqual({ job: 'raw' });
  });

  it('answers 429 while the queue is full, 413 over the size limit, 404 elsewhere, and /ready', async () => {
    const source = await createLokiPushSource({
      config: lokiPushConfigSchema.parse({
        server: { http_listen_address: '127.0.0.1', http_listen_port: 0 },
      }),
      logger: silentLogger,
      metrics: new Registry(),
      queueCapacity: 1,
      maxBodyBytes: 1000,
    });
    sources.push(source);
    const url = (path: string) => `http://127.0.0.1:${source.address.port}${path}`;
    const raw = (body: string) => fetch(url('/promtail/api/v1/raw'), { method: 'POST', body });
    expect((await raw('a\nb')).status).toBe(204); // nobody is consuming: the queue is now full
    const busy = await raw('c');
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('1');
    const it = source.batches()[Symbol.asyncIterator]();
    expect((await it.next()).value?.entries.map((e: Entry) => e.line)).toEqual(['a', 'b']);
    expect((await raw('x'.repeat(2000))).status).toBe(413);
    expect((await raw('d')).status).toBe(204);
    expect((await fetch(url('/nope'), { method: 'POST' })).status).toBe(404);
    const ready = await fetch(url('/ready'));
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
  });
});

describe('pushed label sets', () => {
  it('parse as PromQL metrics do', () => {
    expect(parseLabelSet('{app="web", env="prod"}')).toEqual({ app: 'web', env: 'prod' });
    expect(parseLabelSet('{ a = "x\\n\\"y\\"" , b=\'single\', c=`raw\\n`, }')).toEqual({
      a: 'x\n"y"',
      b: 'single',
      c: 'raw\\n',
    });
    expect(parseLabelSet('up{job="api"}')).toEqual({ __name__: 'up', job: 'api' });
    expect(parseLabelSet('{}')).toEqual({});
    expect(() => parseLabelSet('{a="1", a="2"}')).toThrow(/duplicate label name/);
    expect(() => parseLabelSet('{a="1"')).toThrow(/expected "," or "}"/);
  });
});
