/**
 * Alerting end to end, from the stack's own files: PostgreSQL as compose first starts it
 * (sql/docker/initdb.sh, config/postgres/logins.sh), the REAL collector process on
 * config/collector/collector.yml with compose's flags and environment, Prometheus on
 * config/prometheus/prometheus.yml and its rules, Alertmanager on config/alertmanager/, a local
 * Discord stand-in and a Loki stand-in. Only addresses, paths, ports and intervals are rewritten
 * (each rewrite must match, so a renamed key fails here instead of running unrewritten).
 *
 *   (a) mallory deletes 500 rows of games in one request with her audit context: one Discord
 *       message names mallory, public.games, 500, her IP and the correlation id;
 *   (b) bob's rolled-back delete sends nothing;
 *   (c) a failed-login burst in the demo app's log lines reaches Discord through the collector's
 *       `detect` stage, security_events_total and the FailedLoginBurst rule;
 *   (d) Discord answers the wipe's first post 429 with retry_after: the message still arrives.
 */
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyConfig,
  freePort,
  repoPath,
  startAlertmanager,
  startPrometheus,
  type AlertmanagerServer,
  type PostgresServer,
  type PrometheusServer,
} from '@whodunit/testkit';
import { createAuditedTable, wipe } from '../../collector/test/support/audit_wipe.js';
import { startCollector, type CollectorProcess } from '../../collector/test/support/collector_process.js';
import { DiscordStandIn } from '../../collector/test/support/discord_stand_in.js';
import { startLokiReceiver, type LokiReceiver } from '../../collector/test/support/loki_receiver/index.js';
import { alertmanager025Replacements, alertmanagerFile } from './alertmanager_config.js';
import { commandArgs, environmentWithDefaults, loadCompose } from './compose_file.js';
import { firstStartOfComposePostgres } from './postgres_first_start.js';

/** Lines as the demo app's JSON logger writes them: normal traffic and alice's password being guessed. */
const DEMO_LOG = repoPath('config/test/fixtures/demo_login_burst.jsonl');

/** `replacements` after checking that each one matches in `file`. */
async function rewrites(file: string, replacements: Record<string, string>): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  const missing = Object.keys(replacements).filter((from) => !text.includes(from));
  if (missing.length > 0) throw new Error(`${file} no longer contains ${missing.join(', ')}`);
  return replacements;
}

/** Polls a JSON API until `ready` holds; fails after `timeoutMs` with the last answer. */
async function until<T>(url: string, ready: (body: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(url)).json()) as T;
    if (ready(body)) return body;
    if (Date.now() > deadline)
      throw new Error(`${url} not ready in ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Resolves with the first of Loki's lines of `selector` that matches, once it has arrived. */
async function lokiLine(
  loki: LokiReceiver,
  selector: Record<string, string>,
  match: RegExp,
): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = loki.lines(selector).find((l) => match.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline)
      throw new Error(`no ${JSON.stringify(selector)} line matching ${match} in Loki`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the stack alerts from its own config files', () => {
  let discord: DiscordStandIn;
  let loki: LokiReceiver;
  let postgres: PostgresServer;
  let alertmanager: AlertmanagerServer;
  let collector: CollectorProcess;
  let prometheus: PrometheusServer;
  let dataDir: string;
  let collectorConfigDir: string;
  let containerLog: string;

  beforeAll(async () => {
    discord = await DiscordStandIn.start();
    loki = await startLokiReceiver({ authEnabled: false });
    ({ server: postgres } = await firstStartOfComposePostgres());
    await createAuditedTable(postgres, 'public.games');

    alertmanager = await startAlertmanager({
      configFile: alertmanagerFile,
      replacements: await rewrites(alertmanagerFile, {
        ...alertmanager025Replacements(discord.url),
        // An interval only: warnings are batched for 1m, which a test does not sit through.
        'group_wait: 1m': 'group_wait: 1s',
      }),
    });

    // The collector as compose runs it, pointed at local stand-ins and a temporary data directory.
    dataDir = await mkdtemp(join(tmpdir(), 'whodunit-stack-alerts-'));
    containerLog = join(dataDir, 'containers', 'c0ffee', 'c0ffee-json.log');
    await mkdir(dirname(containerLog), { recursive: true });
    await writeFile(containerLog, '');
    const [httpPort, syslogPort, pushPort] = [await freePort(), await freePort(), await freePort()];
    const collectorYml = repoPath('config/collector/collector.yml');
    const { file } = await copyConfig(
      collectorYml,
      await rewrites(collectorYml, {
        '/var/lib/whodunit/positions.yaml': join(dataDir, 'positions.yaml'),
        '/var/lib/whodunit/spool': join(dataDir, 'spool'),
        '/var/lib/docker/containers/*/*-json.log': join(dataDir, 'containers/*/*-json.log'),
        'http://loki:3100/loki/api/v1/push': loki.pushUrl,
        'http_listen_port: 9080': `http_listen_port: ${httpPort}`,
        'listen_address: 0.0.0.0:1514': `listen_address: 127.0.0.1:${syslogPort}`,
        'http_listen_port: 3500': `http_listen_port: ${pushPort}`,
        // The test server's database is `postgres`; compose creates `whodunit`.
        '@postgres:5432/whodunit': `@127.0.0.1:${postgres.port}/postgres`,
        'http://alertmanager:9093': alertmanager.url,
      }),
      'whodunit-collector-config-',
    );
    collectorConfigDir = dirname(file);
    const service = (await loadCompose()).compose.services.collector!;
    collector = await startCollector({
      args: commandArgs(service).map((a) => (a.startsWith('-config.file=') ? `-config.file=${file}` : a)),
      port: httpPort,
      env: environmentWithDefaults(service),
    });
    // Logged in as whodunit_collector with compose's default password, and LISTENing.
    await collector.waitForMetric('whodunit_postgres_source_connected', { job: 'db_audit' }, (v) => v === 1);

    const prometheusYml = repoPath('config/prometheus/prometheus.yml');
    prometheus = await startPrometheus({
      configFile: prometheusYml,
      replacements: await rewrites(prometheusYml, {
        // Intervals only (the stack's: 15s), so a rule sees the collector's counters within seconds.
        'scrape_interval: 15s': 'scrape_interval: 1s',
        'evaluation_interval: 15s': 'evaluation_interval: 1s',
        'collector:9080': `127.0.0.1:${httpPort}`,
        'alertmanager:9093': `127.0.0.1:${alertmanager.port}`,
      }),
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await collector?.stop();
    await alertmanager?.stop();
    await postgres?.stop();
    await loki?.stop();
    await discord?.stop();
    for (const dir of [dataDir, collectorConfigDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends mallory’s wipe to Discord once, with who, what, from where and which request, through a 429; a rollback sends nothing', async () => {
    discord.rateLimitNext(1, 0.2);
    await wipe(postgres, {
      user: 'bob',
      correlationId: 'req-bob-rolled-back',
      ip: '198.51.100.4',
      end: 'rollback',
    });
    const sentAt = await wipe(postgres, {
      user: 'mallory',
      correlationId: 'req-mallory-purge',
      ip: '198.51.100.23',
    });

    const message = await discord.next((p) => p.text.includes('req-mallory-purge'));
    console.log(`wipe to the Discord stand-in: ${message.at - sentAt} ms, through one 429`);
    expect(discord.refused.map((p) => p.text.includes('req-mallory-purge'))).toEqual([true]);
    expect(message.channel).toBe('critical');
    expect(message.wait).toBe('true');
    for (const expected of ['mallory', 'public.games', '500', '198.51.100.23', 'req-mallory-purge']) {
      expect(message.text).toContain(expected);
    }
    // One alert reached Alertmanager: mallory's. The rolled-back delete never notified.
    const metrics = await collector.metrics();
    expect(metrics).toMatch(/^whodunit_alertmanager_posts_total\{job="db_audit",result="ok"\} 1$/m);
    expect(discord.posts.filter((p) => p.text.includes('req-mallory-purge'))).toHaveLength(1);
    expect(discord.posts.some((p) => p.text.includes('req-bob'))).toBe(false);
    // The same alert is in Loki, for the log timeline.
    expect(await lokiLine(loki, { job: 'db_audit', stream: 'db_audit' }, /req-mallory-purge/)).toContain(
      '"app_username":"mallory"',
    );
    expect(loki.lines().some((l) => l.includes('req-bob'))).toBe(false);
  });

  it('counts the wipe for the audit rules, whose MassDelete is then silenced by the fast path’s alert', async () => {
    const who = { kind: 'mass_delete', table: 'public.games', user: 'mallory' };
    await collector.waitForMetric('whodunit_audit_alerts_total', who, (v) => v === 1);
    await collector.waitForMetric('whodunit_audit_alert_rows_total', who, (v) => v === 500);

    // Prometheus fires the safety net from those counters...
    type Rules = { data: { alerts: { labels: Record<string, string>; state: string }[] } };
    await until<Rules>(`${prometheus.url}/api/v1/alerts`, (body) =>
      body.data.alerts.some((a) => a.labels.alertname === 'MassDelete' && a.labels.user === 'mallory'),
    );
    // ...and Alertmanager holds it back: the collector already reported that wipe.
    type Alerts = { labels: Record<string, string>; status: { inhibitedBy: string[] } }[];
    const alerts = await until<Alerts>(`${alertmanager.url}/api/v2/alerts`, (body) =>
      body.some(
        (a) => a.labels.alertname === 'MassDelete' && !a.labels.kind && a.status.inhibitedBy.length > 0,
      ),
    );
    expect(alerts.filter((a) => a.labels.alertname === 'MassDelete').map((a) => a.labels.user)).toEqual([
      'mallory',
      'mallory',
    ]);
  });

  it('turns a failed-login burst in the demo app’s logs into a FailedLoginBurst message on the security channel', async () => {
    // The app writes JSON lines to stdout; Docker's json-file driver wraps each in its envelope.
    const lines = (await readFile(DEMO_LOG, 'utf8')).split('\n').filter((l) => l !== '');
    const envelope = (line: string) =>
      JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: new Date().toISOString() });
    await appendFile(containerLog, lines.map(envelope).join('\n') + '\n');

    await collector.waitForMetric('security_events_total', { type: 'failed_login_burst' }, (v) => v > 0);
    const message = await discord.next(
      (p) => p.channel === 'security' && /FailedLoginBurst/.test(p.embeds[0]?.title ?? ''),
      40_000,
    );
    expect(message.wait).toBe('true');
    expect(message.embeds[0]!.description).toContain('failed-login bursts in 5 minutes');
    // Who and from where are in Loki's security stream, as the runbook's first query reads them.
    const security = loki.streams({ stream: 'security' }).flatMap((s) => s.entries);
    const burst = security.find((e) =>
      e.structuredMetadata.some((m) => m.name === 'security_event' && m.value === 'failed_login_burst'),
    );
    expect(burst?.line).toContain('"user":"alice"');
    expect(burst?.line).toContain('198.51.100.77');
    // And on record in the SQL audit trail, through the stack's postgres_sinks (written once).
    const deadline = Date.now() + 20_000;
    let rows: { username: string; ip: string }[] = [];
    while (rows.length === 0 && Date.now() < deadline) {
      ({ rows } = await postgres.query<{ username: string; ip: string }>(
        `select username, host(ip) as ip from audit.security_events where type = 'failed_login_burst'`,
      ));
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toContainEqual({ username: 'alice', ip: '198.51.100.77' });
    // Still one message about mallory's wipe on the critical channel, rule and all.
    expect(discord.posts.filter((p) => p.channel === 'critical' && p.text.includes('mallory'))).toHaveLength(
      1,
    );
  });
});
