/**
 * The fast path for wipes: the postgres_audit source posts each audit alert
 * straight to a real Alertmanager (Debian's, via testkit), which delivers it to
 * a local HTTP receiver standing in for the chat webhook. WHO, which table, how
 * many rows, from where and which request arrive; a rolled-back delete sends
 * nothing; an Alertmanager that is down at first still gets the alert.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '@whodunit/sql';
import {
  freePort,
  startAlertmanager,
  startPostgres,
  type AlertmanagerServer,
  type PostgresServer,
} from '@whodunit/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { createPostgresAuditSource, postgresAuditConfigSchema } from '../src/sources/postgres_audit.js';
import { createAuditedTable, wipe } from './support/audit_wipe.js';

interface Received {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  at: number;
}

let pg: PostgresServer;
let collectorUrl: string;
let standIn: Server;
let standInPort: number;
const received: Received[] = [];
let arrived: () => void = () => undefined;
let dir: string;

/** An Alertmanager whose only route sends everything at once to the stand-in. */
async function alertmanager(port: number): Promise<AlertmanagerServer> {
  const configFile = join(dir, `alertmanager-${port}.yml`);
  await writeFile(
    configFile,
    `route:
  receiver: standin
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: standin
    webhook_configs:
      - url: http://127.0.0.1:${standInPort}/hook
        send_resolved: false
`,
  );
  return startAlertmanager({ configFile, port });
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise<void>((resolve) => (arrived = resolve));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whodunit-fastpath-'));
  standIn = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const payload = JSON.parse(body) as { alerts: Omit<Received, 'at'>[] };
      for (const alert of payload.alerts) received.push({ ...alert, at: Date.now() });
      res.writeHead(200).end();
      arrived();
    });
  });
  standIn.listen(0, '127.0.0.1');
  await new Promise((resolve) => standIn.once('listening', resolve));
  standInPort = (standIn.address() as { port: number }).port;
  pg = await startPostgres({ init: async (url) => void (await migrate(url)) });
  await createAuditedTable(pg);
  await pg.query('create role collector login; grant whodunit_reader, whodunit_writer to collector');
  collectorUrl = pg.urlFor('postgres', 'collector');
}, 60_000);

afterAll(async () => {
  standIn?.close();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function source(alertmanagerUrl: string, metrics = new Registry()) {
  const created = await createPostgresAuditSource({
    config: postgresAuditConfigSchema.parse({
      url: collectorUrl,
      alertmanager: { urls: [alertmanagerUrl], grafana_url: 'http://grafana.example:3000' },
    }),
    jobName: 'db',
    logger: silentLogger,
    metrics,
    minBackoffMs: 20,
  });
  // Entries also flow downstream; drain them as the agent would.
  void (async () => {
    for await (const batch of created.batches()) batch.ack();
  })();
  await created.listening();
  return created;
}

describe('the wipe fast path to Alertmanager', () => {
  it('delivers who, table, rows, IP and request; a rolled-back delete sends nothing', async () => {
    const port = await freePort();
    const am = await alertmanager(port);
    const src = await source(am.url);
    try {
      const ip = '203.0.113.7';
      await wipe(pg, { user: 'bob', correlationId: 'req-rolled-back', ip, end: 'rollback' });
      const startedAt = await wipe(pg, { user: 'mallory', correlationId: 'req-mallory', ip });
      await until(() => received.some((a) => a.annotations.correlation_id === 'req-mallory'));
      const alert = received.find((a) => a.annotations.correlation_id === 'req-mallory')!;
      // An upper bound: from sending the transaction (DELETE of 500 rows + COMMIT) to delivery.
      console.log(`fast path: transaction sent to receiver in ${alert.at - startedAt} ms`);
      expect(alert.labels).toMatchObject({
        alertname: 'MassDelete',
        severity: 'critical',
        category: 'audit',
        kind: 'mass_delete',
        table: 'public.games',
        user: 'mallory',
      });
      expect(alert.labels.event_id).toMatch(/^s:\d+$/);
      expect(alert.annotations).toMatchObject({
        rows: '500',
        operation: 'DELETE',
        client_ip: '203.0.113.7',
        ip: '203.0.113.7',
        correlation_id: 'req-mallory',
        runbook_url: 'docs/runbooks/MassDelete.md',
      });
      expect(alert.annotations.summary).toBe('mallory DELETE 500 rows on public.games');
      expect(alert.annotations.grafana_url).toContain('http://grafana.example:3000/explore');
      expect(received.some((a) => a.annotations.correlation_id === 'req-rolled-back')).toBe(false);
    } finally {
      await src.stop();
      await am.stop();
    }
  });

  it('keeps retrying while Alertmanager is down, and delivers once it is up', async () => {
    const port = await freePort();
    const metrics = new Registry();
    const src = await source(`http://127.0.0.1:${port}`, metrics);
    try {
      await wipe(pg, { user: 'eve', correlationId: 'req-while-down', ip: '203.0.113.7' });
      // A few failed posts first.
      const failedPosts = async () =>
        (await metrics.getSingleMetric('whodunit_alertmanager_posts_total')?.get())?.values.find(
          (v) => v.labels.result === 'error',
        )?.value ?? 0;
      while ((await failedPosts()) < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      const am = await alertmanager(port);
      try {
        await until(() => received.some((a) => a.annotations.correlation_id === 'req-while-down'));
        expect(received.filter((a) => a.annotations.correlation_id === 'req-while-down')).toHaveLength(1);
      } finally {
        await am.stop();
      }
    } finally {
      await src.stop();
    }
  });
});
