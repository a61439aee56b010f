/**
 * `postgres_sinks` in the real agent: stdin -> pipeline (context, detect) ->
 * spool -> a Loki stand-in and PostgreSQL, side by side; and the section's
 * config rules (the bad-selector case is a fixture in fixtures/config/).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { migrate } from '@whodunit/sql';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/agent.js';
import { loadConfigText } from '../src/config/load.js';
import { silentLogger } from '../src/logger.js';
import { resolvePostgresSink } from '../src/sinks/postgres/config.js';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

let server: PostgresServer;
let loki: LokiReceiver;
let dir: string;

beforeAll(async () => {
  [server, loki] = await Promise.all([
    startPostgres({ init: async (url) => void (await migrate(url)) }),
    startLokiReceiver(),
  ]);
  await server.query('create role collector login in role whodunit_writer');
  dir = await mkdtemp(join(tmpdir(), 'whodunit-pgsink-agent-'));
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.stop(), loki?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Recent timestamps: Loki (and its stand-in) refuses entries older than a week.
const base = new Date(Date.now() - 60_000).toISOString().slice(0, -1);
const at = (micros: number) => `${base}00${micros}Z`;

const lines = [
  {
    ts: at(1),
    line: '{"level":"info","msg":"audit","action":"game.delete","resource_type":"game","resource_id":"g-9","user":{"id":"7","name":"alice"},"ip":"203.0.113.7","arguments":{"id":"g-9"},"result":"deleted","success":true,"duration_ms":4,"correlation_id":"req-a"}',
  },
  {
    ts: at(2),
    line: '{"method":"GET","path":"/search","query":"q=1\' UNION SELECT password FROM users--","ip":"198.51.100.9","user":"mallory","correlation_id":"req-b"}',
  },
  { ts: at(3), line: 'plain text that says "action": but is no JSON' },
  {
    ts: at(4),
    line: '{"msg":"audit","action":"user.update","username":"bob","success":false,"correlation_id":"req-c"}',
  },
];

/** Runs the agent once over `lines` on stdin, with its own spool, until every reader caught up. */
async function runAgent(run: string, metrics: Registry): Promise<void> {
  const { config, diagnostics } = loadConfigText(`
server: { disable: true }
positions: { filename: ${join(dir, run, 'positions.yaml')} }
clients:
  - url: ${loki.pushUrl}
    tenant_id: e2e
    batchwait: 10ms
postgres_sinks:
  - name: audit_db
    url: ${server.urlFor('postgres', 'collector')}
    events_selector: '{job="app"} |= "\\"action\\":"'
    security_events: true
    batch_wait: 10ms
scrape_configs:
  - job_name: app
    static_configs: [{ labels: { job: app } }]
    pipeline_stages:
      - context: {}
      - detect: {}
`);
  expect(diagnostics).toEqual([]);
  const agent = await startAgent({
    config: config!,
    logger: silentLogger,
    metrics,
    output: process.stdout,
    stdin: { input: Readable.from(lines.map((l) => JSON.stringify(l) + '\n')), format: 'jsonl' },
  });
  await agent.done;
}

describe('postgres_sinks in the agent', () => {
  it('ships to Loki and PostgreSQL side by side, and a second run over the same entries adds no row', async () => {
    const metrics = new Registry();
    await runAgent('first', metrics);
    // Loki gets every entry (plus the detection's stream="security" copy).
    expect(loki.count('e2e')).toBe(5);
    const events = await server.query(
      `select action, resource_id, user_id, username, host(ip) as ip, arguments, result, success, duration_ms,
              correlation_id
       from audit.events order by occurred_at`,
    );
    expect(events.rows).toEqual([
      {
        action: 'game.delete',
        resource_id: 'g-9',
        user_id: '7',
        username: 'alice',
        ip: '203.0.113.7',
        arguments: { id: 'g-9' },
        result: 'deleted',
        success: true,
        duration_ms: 4,
        correlation_id: 'req-a',
      },
      expect.objectContaining({
        action: 'user.update',
        username: 'bob',
        success: false,
        correlation_id: 'req-c',
      }),
    ]);
    const detections = await server.query(
      `select type, severity, username, host(ip) as ip, details->>'reason' as reason, correlation_id
       from audit.security_events`,
    );
    expect(detections.rows).toEqual([
      {
        type: 'sql_injection',
        severity: 'critical',
        username: 'mallory',
        ip: '198.51.100.9',
        reason: expect.stringContaining('UNION'),
        correlation_id: 'req-b',
      },
    ]);
    const dropped = (await metrics.getSingleMetric('whodunit_postgres_sink_dropped_entries_total')!.get())
      .values;
    expect(dropped.map((v) => [v.labels.reason, v.value])).toEqual([['not_json', 1]]);

    // The same entries again (a fresh spool, as after losing the disk): the keys match, nothing is added.
    const again = new Registry();
    await runAgent('second', again);
    const counts = await server.query(
      `select (select count(*)::int from audit.events) as events,
              (select count(*)::int from audit.security_events) as security_events`,
    );
    expect(counts.rows).toEqual([{ events: 2, security_events: 1 }]);
    const duplicates = (await again.getSingleMetric('whodunit_postgres_sink_duplicate_rows_total')!.get())
      .values;
    expect(duplicates.map((v) => [v.labels.table, v.value]).sort()).toEqual([
      ['events', 2],
      ['security_events', 1],
    ]);
  });
});

describe('postgres_sinks config', () => {
  const load = (sinks: string) => loadConfigText(`postgres_sinks:\n${sinks}`);
  const messages = (sinks: string) => load(sinks).diagnostics.map((d) => `${d.path}: ${d.message}`);

  it('reads url_file once, compiles the selector, and never prints the password', async () => {
    const file = join(dir, 'writer-url');
    await writeFile(file, 'postgres://collector:hunter2@db:5432/app\n');
    const { config, diagnostics } = load(
      `  - { name: a, url_file: ${file}, events_selector: '{stream="audit"}' }\n` +
        `  - { name: b, url: "postgres://collector:hunter2@db/app", security_events: true }\n`,
    );
    expect(diagnostics).toEqual([]);
    expect(JSON.stringify(config)).not.toContain('hunter2');
    const resolved = await resolvePostgresSink(config!.postgres_sinks[0]!);
    expect(resolved.url.reveal()).toBe('postgres://collector:hunter2@db:5432/app');
    expect(String(resolved.url)).not.toContain('hunter2');
    expect(resolved).toMatchObject({ batchRows: 500, batchWaitMs: 1000, securityEvents: false });
    expect(resolved.backoff).toEqual({ minPeriodMs: 500, maxPeriodMs: 300_000, maxRetries: 0 });
  });

  it('names each broken rule with its path', () => {
    expect(messages(`  - { name: a, events_selector: '{stream="audit"}' }\n`)).toEqual([
      'postgres_sinks[0].url: give exactly one of url and url_file',
    ]);
    expect(messages(`  - { name: a, url: "postgres://db/app" }\n`)).toEqual([
      'postgres_sinks[0].events_selector: nothing to write: give events_selector, or security_events: true, or both',
    ]);
    expect(
      messages(
        `  - { name: a, url: "postgres://db/app", security_events: true }\n` +
          `  - { name: a, url: "postgres://db/app", security_events: true }\n`,
      ),
    ).toEqual([
      'postgres_sinks[1].name: found multiple postgres sinks named "a" (first at postgres_sinks[0]) (got "a")',
    ]);
  });
});
