/**
 * The PostgreSQL sink against a real PostgreSQL with the audit schema, writing
 * as a plain whodunit_writer: entries become audit.events / audit.security_events
 * rows with the mapped fields, an entry that cannot map is counted and skipped,
 * a replay of the spool after a crash writes nothing twice, and a database that
 * is unreachable for a while loses nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@whodunit/sql';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { postgresSinkConfigSchema, resolvePostgresSink } from '../src/sinks/postgres/config.js';
import { postgresSinkMetrics } from '../src/sinks/postgres/metrics.js';
import { PostgresSink, spoolClientName } from '../src/sinks/postgres/sink.js';
import type { Batch } from '../src/sources/source.js';
import { openSpool } from '../src/spool/spool.js';

let server: PostgresServer;
let writerUrl: string;
let dir: string;

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  await server.query('create role sink login in role whodunit_writer');
  writerUrl = server.urlFor('postgres', 'sink');
  dir = await mkdtemp(join(tmpdir(), 'whodunit-pgsink-'));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** 2026-11-20T10:00:00.123456789Z plus `n` ms (stored to the microsecond, as PostgreSQL keeps it). */
const at = (n: number) => 1_795_168_800_123_456_789n + BigInt(n) * 1_000_000n;
const audit = (fields: Record<string, unknown>, n: number) =>
  newEntry(JSON.stringify(fields), { job: 'app', stream: 'audit' }, at(n));

/** A sink input the test feeds by hand; each batch's promise resolves when the sink acks it. */
function handFed() {
  const queue: Batch[] = [];
  let wake: (() => void) | undefined;
  return {
    push: (entries: Entry[]) =>
      new Promise<void>((ack) => {
        queue.push({ entries, ack });
        wake?.();
      }),
    async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
      for (;;) {
        const batch = queue.shift();
        if (batch) yield batch;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

async function startSink(
  name: string,
  url: string,
  registry: Registry,
  config: Record<string, unknown> = {},
) {
  const sink = new PostgresSink({
    sink: await resolvePostgresSink(
      postgresSinkConfigSchema.parse({
        name,
        url,
        events_selector: '{stream="audit"}',
        security_events: true,
        batch_wait: '5ms',
        backoff_config: { min_period: '10ms', max_period: '40ms' },
        ...config,
      }),
    ),
    metrics: postgresSinkMetrics(registry),
    logger: silentLogger,
  });
  return sink;
}

const metric = async (registry: Registry, name: string, labels: Record<string, string>) => {
  const values = (await registry.getSingleMetric(name)!.get()).values;
  const found = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return found?.value ?? 0;
};

const rowsOf = async (sql: string, values: unknown[] = []) => (await server.query(sql, values)).rows;

describe('postgres sink: mapping', () => {
  it('writes audit events and detections with their fields, and counts entries it cannot map without blocking the rest', async () => {
    const registry = new Registry();
    const input = handFed();
    const sink = await startSink('mapping', writerUrl, registry);
    const running = sink.run(input);
    const detection = newEntry(
      '{"method":"GET","path":"/search","query":"q=1\' UNION SELECT password FROM users--"}',
      { job: 'app' },
      at(3),
      {
        security_event: 'sql_injection',
        severity: 'high',
        security_reason: 'UNION SELECT in query',
        user: 'mallory',
        client_ip: '198.51.100.9',
        correlation_id: 'req-3',
      },
    );
    const copy = { ...detection, labels: { job: 'app', stream: 'security' } };
    await input.push([
      audit(
        {
          action: 'user.delete',
          resource: { type: 'user', id: 42 },
          user: { id: 7, name: 'alice' },
          ip: '203.0.113.7',
          arguments: { id: 42, hard: true },
          result: { deleted: 1 },
          success: true,
          duration_ms: 12.5,
          correlation_id: 'req-1',
        },
        0,
      ),
      newEntry('plain text, no JSON', { job: 'app', stream: 'audit' }, at(1)),
      audit({ msg: 'no action here' }, 2),
      detection,
      copy,
      // jsonb refuses NUL even in a key: the database rejects this row alone.
      audit({ action: 'broken', arguments: { 'k\u0000': 1 } }, 4),
      // No JSON, but the pipeline put the fields into structured metadata.
      newEntry('user bob logged in', { job: 'app', stream: 'audit' }, at(5), {
        action: 'session.login',
        user: 'bob',
        client_ip: 'not-an-ip',
        success: 'false',
        correlation_id: 'req-5',
      }),
    ]);
    sink.stop();
    await running;

    expect(
      await rowsOf(`select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as at,
                           action, resource_type, resource_id, user_id, username, host(ip) as ip, arguments,
                           result, success, duration_ms, correlation_id, length(idempotency_key) as key_length
                    from audit.events where action in ('user.delete', 'session.login', 'broken') order by id`),
    ).toEqual([
      {
        at: '2026-11-20T10:00:00.123456',
        action: 'user.delete',
        resource_type: 'user',
        resource_id: '42',
        user_id: '7',
        username: 'alice',
        ip: '203.0.113.7',
        arguments: { id: 42, hard: true },
        result: { deleted: 1 },
        success: true,
        duration_ms: 12.5,
        correlation_id: 'req-1',
        key_length: 64,
      },
      {
        at: '2026-11-20T10:00:00.128456',
        action: 'session.login',
        resource_type: null,
        resource_id: null,
        user_id: null,
        username: 'bob',
        ip: null,
        arguments: null,
        result: null,
        success: false,
        duration_ms: null,
        correlation_id: 'req-5',
        key_length: 64,
      },
    ]);
    expect(
      await rowsOf(`select type, severity, username, host(ip) as ip, details, correlation_id
                    from audit.security_events where correlation_id = 'req-3'`),
    ).toEqual([
      {
        type: 'sql_injection',
        severity: 'critical',
        username: 'mallory',
        ip: '198.51.100.9',
        details: { reason: 'UNION SELECT in query', severity: 'high', line: detection.line },
        correlation_id: 'req-3',
      },
    ]);
    const dropped = (reason: string) =>
      metric(registry, 'whodunit_postgres_sink_dropped_entries_total', { host: 'mapping', reason });
    expect([await dropped('not_json'), await dropped('no_action'), await dropped('rejected')]).toEqual([
      1, 1, 1,
    ]);
    expect(await metric(registry, 'dropped_entries_total', { reason: 'no_action' })).toBe(1);
    expect(
      await metric(registry, 'whodunit_postgres_sink_rows_total', { host: 'mapping', table: 'events' }),
    ).toBe(2);
  });
});

/** Runs `sink` over a spool reader; resolves once it has acked two records (passed on to the spool or not). */
function readTwoRecords(sink: PostgresSink, reader: AsyncIterable<Batch>, passOn: boolean): Promise<void> {
  let acks = 0;
  return new Promise<void>((resolve) => {
    void sink.run(
      (async function* () {
        for await (const batch of reader) {
          const ack = () => {
            if (passOn) batch.ack();
            if (++acks === 2) resolve();
          };
          yield { entries: batch.entries, ack };
        }
      })(),
    );
  });
}

describe('postgres sink: at least once, never twice', () => {
  it('writes nothing twice when the spool is read again after a crash between COMMIT and ack', async () => {
    const spoolDir = join(dir, 'spool');
    const name = spoolClientName('replay');
    const entries = Array.from({ length: 30 }, (_, i) =>
      audit({ action: 'item.update', resource_id: i }, 100 + i),
    );
    const count = async () =>
      (await rowsOf(`select count(*)::int as n from audit.events where action = 'item.update'`))[0]!
        .n as number;

    // First run: the rows are committed, then the collector dies before the spool hears the ack.
    let spool = await openSpool(spoolDir, { clients: [name], fsyncIntervalMs: 1 });
    await spool.append(entries.slice(0, 20));
    await spool.append(entries.slice(20));
    const first = await startSink('replay', writerUrl, new Registry());
    const bothCommitted = readTwoRecords(first, spool.reader(name), false); // acks swallowed: the crash
    await bothCommitted;
    first.stop();
    await spool.close();
    expect(await count()).toBe(30);

    // Second run: the spool hands out both records again; the database skips every row.
    spool = await openSpool(spoolDir, { clients: [name], fsyncIntervalMs: 1 });
    expect(spool.lag(name)).toBeGreaterThan(0);
    const registry = new Registry();
    const second = await startSink('replay', writerUrl, registry);
    const caughtUp = readTwoRecords(second, spool.reader(name), true);
    await caughtUp;
    second.stop();
    expect(spool.lag(name)).toBe(0);
    await spool.close();
    expect(await count()).toBe(30);
    const labels = { host: 'replay', table: 'events' };
    expect(await metric(registry, 'whodunit_postgres_sink_rows_total', labels)).toBe(0);
    expect(await metric(registry, 'whodunit_postgres_sink_duplicate_rows_total', labels)).toBe(30);
  });
});

/** A TCP proxy in front of PostgreSQL that can refuse (and cut) every connection, as a firewall would. */
async function startProxy(targetPort: number) {
  const open = new Set<Socket>();
  let blocked = false;
  let refused = 0;
  let onRefuse: (() => void) | undefined;
  const server: Server = createServer((client) => {
    if (blocked) {
      refused++;
      client.destroy();
      onRefuse?.();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    block() {
      blocked = true;
      for (const socket of open) socket.destroy();
    },
    unblock() {
      blocked = false;
    },
    /** Resolves once `n` connection attempts were refused in all. */
    refusals: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => refused >= n && resolve();
        onRefuse = check;
        check();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('postgres sink: database down', () => {
  it('keeps retrying while the database is unreachable, acks nothing, and writes everything once it is back', async () => {
    const proxy = await startProxy(server.port);
    const url = new URL(writerUrl);
    url.port = String(proxy.port);
    const registry = new Registry();
    const logs: string[] = [];
    const sink = new PostgresSink({
      sink: await resolvePostgresSink(
        postgresSinkConfigSchema.parse({
          name: 'outage',
          url: url.toString().replace('sink@', 'sink:hunter2@'),
          events_selector: '{stream="audit"}',
          batch_wait: '5ms',
          backoff_config: { min_period: '10ms', max_period: '40ms' },
        }),
      ),
      metrics: postgresSinkMetrics(registry),
      logger: createLogger({ write: (line) => logs.push(line) }),
    });
    const input = handFed();
    const running = sink.run(input);
    await input.push([audit({ action: 'before.outage' }, 200)]);
    expect(await metric(registry, 'whodunit_postgres_sink_up', { host: 'outage' })).toBe(1);

    proxy.block();
    let acked = false;
    const during = input.push(
      Array.from({ length: 50 }, (_, i) => audit({ action: 'during.outage', resource_id: i }, 300 + i)),
    );
    void during.then(() => (acked = true));
    await proxy.refusals(3);
    expect(acked).toBe(false);
    expect(await metric(registry, 'whodunit_postgres_sink_up', { host: 'outage' })).toBe(0);
    expect(
      await metric(registry, 'whodunit_postgres_sink_retries_total', { host: 'outage' }),
    ).toBeGreaterThan(0);

    proxy.unblock();
    await during;
    sink.stop();
    await running;
    await proxy.close();
    expect(
      await rowsOf(`select count(*)::int as n, count(distinct resource_id)::int as ids from audit.events
                    where action = 'during.outage'`),
    ).toEqual([{ n: 50, ids: 50 }]);
    expect(await metric(registry, 'whodunit_postgres_sink_up', { host: 'outage' })).toBe(1);
    expect(logs.some((l) => l.includes('cannot write to PostgreSQL, will retry'))).toBe(true);
    expect(logs.join('\n')).not.toContain('hunter2');
  });
});
