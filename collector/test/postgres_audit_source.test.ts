/**
 * The postgres_audit source against a real PostgreSQL with the audit schema:
 * the collector connects as whodunit_reader and _writer (it runs audit.ingest()), alerts become entries,
 * rolled-back work gives none, and wipes made while it was not listening (its
 * backend killed, or the source stopped) are emitted once it is back, exactly once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { migrate } from '@whodunit/sql';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/agent.js';
import { loadConfigText } from '../src/config/load.js';
import { silentLogger } from '../src/logger.js';
import type { Entry } from '../src/pipeline/entry.js';
import { Positions } from '../src/sources/positions.js';
import {
  createPostgresAuditSource,
  postgresAuditConfigSchema,
  type PostgresAuditSource,
} from '../src/sources/postgres_audit.js';

let server: PostgresServer;
let collectorUrl: string;
const dir = mkdtempSync(join(tmpdir(), 'whodunit-pgsource-'));
const positionsFile = join(dir, 'positions.yaml');

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  await server.query(`
    create table public.orders (id int primary key, customer text);
    create table public.invoices (id int primary key, customer text);
    select audit.enable_schema('public');
    create role collector login;
    grant whodunit_reader, whodunit_writer to collector; -- writer: it runs audit.ingest()
  `);
  collectorUrl = server.urlFor('postgres', 'collector');
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

/** Fills a table with n rows (as the owner, no alert: inserts are not wipes). */
async function fill(table: string, n: number): Promise<void> {
  await server.query(`insert into ${table} select g, 'x' || g from generate_series(1, $1) g`, [n]);
}

/** A request of the app: context set, work done, committed or rolled back, in one session. */
async function asUser(username: string, correlationId: string, sql: string, end = 'commit'): Promise<void> {
  await server.query(
    `begin;
     select audit.set_context('u-${username}', '${username}', '${correlationId}', '203.0.113.7', null, null);
     ${sql};
     ${end};`,
  );
}

interface Consumer {
  entries: Entry[];
  until(predicate: (entries: Entry[]) => boolean): Promise<void>;
  done: Promise<void>;
}

/** Pulls batches as the agent does, acknowledging each (so the cursor moves). */
function consume(source: PostgresAuditSource): Consumer {
  const entries: Entry[] = [];
  let wake: () => void = () => undefined;
  const done = (async () => {
    for await (const batch of source.batches()) {
      entries.push(...batch.entries);
      batch.ack();
      wake();
    }
    wake();
  })();
  return {
    entries,
    async until(predicate) {
      while (!predicate(entries)) await new Promise<void>((resolve) => (wake = resolve));
    },
    done,
  };
}

const byCorrelation = (id: string) => (entries: Entry[]) =>
  entries.filter((e) => e.structuredMetadata.correlation_id === id);

async function open(metrics: Registry) {
  const positions = await Positions.open({
    filename: positionsFile,
    syncPeriodMs: 60_000,
    ignoreInvalidYaml: false,
    logger: silentLogger,
  });
  const config = postgresAuditConfigSchema.parse({ url: collectorUrl, labels: { job: 'db' } });
  const source = await createPostgresAuditSource({
    config,
    jobName: 'db',
    logger: silentLogger,
    metrics,
    positions,
    minBackoffMs: 20,
    maxBackoffMs: 200,
  });
  const consumer = consume(source);
  await source.listening();
  return { source, consumer, positions };
}

describe('postgres_audit source', () => {
  const metrics = new Registry();
  let first: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    first = await open(metrics);
  });

  it('turns a 150-row DELETE into one db_audit entry with who, which table and how many rows', async () => {
    await fill('public.orders', 200);
    await asUser('mallory', 'req-wipe-1', 'delete from public.orders where id <= 150');
    await first.consumer.until((e) => byCorrelation('req-wipe-1')(e).length > 0);

    const [entry, ...more] = byCorrelation('req-wipe-1')(first.consumer.entries);
    expect(more).toEqual([]);
    expect(entry!.labels).toEqual({ job: 'db', stream: 'db_audit' });
    expect(entry!.structuredMetadata).toMatchObject({
      kind: 'mass_delete',
      table: 'public.orders',
      operation: 'DELETE',
      rows: '150',
      app_username: 'mallory',
      app_user_id: 'u-mallory',
      client_ip: '203.0.113.7',
      db_user: 'postgres',
    });
    const line = JSON.parse(entry!.line) as Record<string, unknown>;
    expect(line).toMatchObject({ kind: 'mass_delete', rows: 150, app_username: 'mallory' });
    expect(typeof line.statement_id).toBe('number');
    expect(await metrics.metrics()).toContain('whodunit_postgres_source_connected{job="db"} 1');
  });

  it('gives nothing for a rolled-back delete', async () => {
    await fill('public.invoices', 300);
    await asUser('bob', 'req-rolled-back', 'delete from public.invoices where id <= 150', 'rollback');
    // A committed wipe after it: once it is here, the rolled-back one would have been too.
    await asUser('carol', 'req-after-rollback', 'delete from public.invoices where id <= 120');
    await first.consumer.until((e) => byCorrelation('req-after-rollback')(e).length > 0);
    expect(byCorrelation('req-rolled-back')(first.consumer.entries)).toEqual([]);
    expect(byCorrelation('req-after-rollback')(first.consumer.entries)[0]?.structuredMetadata.rows).toBe(
      '120',
    );
  });

  it('emits a wipe made while its backend was killed once it reconnects, exactly once', async () => {
    // Keep it out while the wipe happens: no login, and its session terminated (waiting until it is gone).
    await server.query('alter role collector nologin');
    const killed = await server.query<{ ok: boolean }>(
      `select pg_terminate_backend(pid, 10000) as ok from pg_stat_activity where usename = 'collector'`,
    );
    expect(killed.rows.map((r) => r.ok)).toEqual([true]);
    await server.query(`insert into public.orders select g, 'y' from generate_series(1000, 1199) g`);
    await asUser('mallory', 'req-wipe-unseen', 'delete from public.orders where id >= 1000');
    await server.query('create table public.scratch (id int)');
    await asUser('trent', 'req-drop-unseen', 'drop table public.scratch');
    await server.query('alter role collector login');

    await first.source.listening();
    await first.consumer.until(
      (e) => byCorrelation('req-wipe-unseen')(e).length > 0 && byCorrelation('req-drop-unseen')(e).length > 0,
    );
    // A live wipe after the catch-up: everything before it has been emitted by now.
    await asUser('carol', 'req-live-marker', 'delete from public.invoices where id > 120');
    await first.consumer.until((e) => byCorrelation('req-live-marker')(e).length > 0);

    const entries = first.consumer.entries;
    expect(byCorrelation('req-wipe-unseen')(entries)).toHaveLength(1);
    expect(byCorrelation('req-wipe-unseen')(entries)[0]!.structuredMetadata).toMatchObject({
      kind: 'mass_delete',
      table: 'public.orders',
      rows: '200',
      app_username: 'mallory',
    });
    expect(byCorrelation('req-drop-unseen')(entries)[0]!.structuredMetadata).toMatchObject({
      kind: 'drop',
      table: 'public.scratch',
      operation: 'DROP TABLE',
      app_username: 'trent',
    });
    expect(byCorrelation('req-drop-unseen')(entries)).toHaveLength(1);
    // The catch-up re-read the earlier wipes too (it overlaps); none came out twice.
    expect(byCorrelation('req-wipe-1')(entries)).toHaveLength(1);
    expect(byCorrelation('req-after-rollback')(entries)).toHaveLength(1);
    const text = await metrics.metrics();
    expect(text).toContain('whodunit_postgres_source_reconnects_total{job="db"} 1');
    expect(text).toContain('whodunit_postgres_source_connected{job="db"} 1');
  });

  it('after a restart, emits what was wiped while it was stopped, and nothing it already emitted', async () => {
    await first.source.stop();
    await first.consumer.done;
    await first.positions.stop();
    expect(await metrics.metrics()).toContain('whodunit_postgres_source_connected{job="db"} 0');

    await server.query(`insert into public.orders select g, 'z' from generate_series(2000, 2149) g`);
    await asUser('eve', 'req-while-stopped', 'delete from public.orders where id >= 2000');

    const second = await open(new Registry());
    await asUser('carol', 'req-after-restart', 'truncate public.invoices');
    setTimeout(
      () => console.log('DEBUG', JSON.stringify(second.consumer.entries.map((e) => e.structuredMetadata))),
      5000,
    );
    await second.consumer.until(
      (e) =>
        byCorrelation('req-while-stopped')(e).length > 0 && byCorrelation('req-after-restart')(e).length > 0,
    );
    await second.source.stop();
    await second.consumer.done;
    await second.positions.stop();

    const correlations = second.consumer.entries.map((e) => e.structuredMetadata.correlation_id);
    expect(correlations.sort()).toEqual(['req-after-restart', 'req-while-stopped']);
    expect(byCorrelation('req-after-restart')(second.consumer.entries)[0]!.structuredMetadata.kind).toBe(
      'truncate',
    );
  });
});

describe('postgres_audit in the agent', () => {
  it('runs from a scrape config, through its pipeline, to the dry-run output', async () => {
    const { config, diagnostics } = loadConfigText(`
server: { disable: true }
positions: { filename: ${join(dir, 'agent-positions.yaml')} }
scrape_configs:
  - job_name: db_alerts
    postgres_audit: { url: "${collectorUrl}", labels: { job: db_alerts } }
    pipeline_stages:
      - json: { expressions: { user: app_username } }
      - labels: { user: }
`);
    expect(diagnostics).toEqual([]);
    const output = new PassThrough();
    let printed = '';
    const seen = new Promise<void>((resolve) =>
      output.on('data', (chunk: Buffer) => {
        printed += chunk.toString();
        if (printed.includes('req-agent')) resolve();
      }),
    );
    const agent = await startAgent({
      config: config!,
      logger: silentLogger,
      metrics: new Registry(),
      output,
      dryRun: true,
    });
    // LISTEN is on once the source's session has gone on to its next queries (the database time,
    // then audit.ingest() in a loop).
    const listening = `select 1 from pg_stat_activity where usename = 'collector'
                         and (query like '%to_json(pg_catalog.now())%' or query like '%audit.ingest(%')`;
    while ((await server.query(listening)).rowCount === 0);
    await server.query(`insert into public.orders select g, 'w' from generate_series(3000, 3149) g`);
    await asUser('oscar', 'req-agent', 'delete from public.orders where id >= 3000');
    await seen;
    await agent.stop();
    const line = printed.split('\n').find((l) => l.includes('req-agent'))!;
    const entry = JSON.parse(line) as {
      labels: Record<string, string>;
      structured_metadata: Record<string, string>;
    };
    expect(entry.labels).toEqual({ job: 'db_alerts', stream: 'db_audit', user: 'oscar' });
    expect(entry.structured_metadata).toMatchObject({ table: 'public.orders', rows: '150' });
  });
});

describe('postgres_audit config', () => {
  it('needs exactly one of url and url_file, and never prints the password', () => {
    const missing = loadConfigText('scrape_configs:\n  - job_name: db\n    postgres_audit: { channel: x }\n');
    expect(missing.diagnostics.map((d) => d.message).join('\n')).toContain(
      'give exactly one of url and url_file',
    );
    const ok = loadConfigText(
      `scrape_configs:\n  - job_name: db\n    postgres_audit: { url: "postgres://collector:hunter2@db/app" }\n`,
    );
    expect(ok.diagnostics).toEqual([]);
    expect(JSON.stringify(ok.config)).not.toContain('hunter2');
    expect(ok.config?.scrape_configs[0]?.postgres_audit).toMatchObject({
      channel: 'whodunit_alert',
      catch_up: true,
    });
  });
});
