import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { newPostgresClient } from '../postgres_client.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { duration, labelSet, optionalDuration, secretUrl } from '../config/fields.js';
import type { Logger } from '../log.js';
import { newEntry, type Entry } from '../pipeline/entry.js';
import { systemClock, type Clock } from '../pipeline/stage.js';
import { Secret } from '../secret.js';
import { AlertPoster, alertmanagerTargetSchema } from '../sinks/alertmanager.js';
import { EntryQueue } from './entry_queue.js';
import { cursorKey, type Positions } from './positions.js';
import { catchUpAlerts } from './postgres_audit_catch_up.js';
import { alertEntry, alertKey, parseAlert, type AuditAlert } from './postgres_audit_decode.js';
import { startIngestLoop, type IngestLoop } from './postgres_ingest.js';
import { registeredMetric } from './registered_metric.js';
import type { Source } from './source.js';

/**
 * `postgres_audit` (whodunit's addition, not in Promtail): the alerts of the SQL
 * audit trail (mass DELETE/UPDATE, TRUNCATE, DROP, audit switched off) as entries.
 *
 *   postgres_audit:
 *     url: postgres://collector:pw@db:5432/app   # secret; or url_file: /run/secrets/audit-url
 *     channel: whodunit_alert                    # the NOTIFY channel of the audit trail (audit.ingest())
 *     labels: { job: db_audit }
 *     catch_up: true                             # read what was missed while not listening
 *
 * It LISTENs on the channel; each notification becomes an entry with the payload
 * JSON as the line, `stream="db_audit"` over `labels`, and the payload's fields as
 * structured metadata (postgres_audit_decode.ts). The connection comes back by
 * itself with backoff (100 ms doubling to 30 s); `whodunit_postgres_source_connected`
 * says whether it listens, `whodunit_postgres_source_reconnects_total` counts reconnects.
 *
 * NOTIFY is not replayed: what is sent while nobody listens is gone. So with
 * `catch_up`, on every (re)connect, once LISTEN is on, the source asks the public
 * SQL API (a `whodunit_reader` role is enough) for the wipes it missed:
 * `audit.mass_deletes(since)` (mass DELETEs and TRUNCATEs, at the audit trail's
 * alert threshold) and the DROP rows of `audit.ddl_changes`, since the newest alert
 * it has handed over minus an hour (the recorded time is the statement's START,
 * and a transaction may commit long after it started). Alerts seen both ways are
 * emitted once: the last 10,000 `statement_id`/`ddl_change_id` are remembered (the
 * newest 1,000 are also kept in the positions file). Not caught up: mass UPDATEs
 * and audit_disabled (the SQL API has no reader function for them).
 *
 * The audit trail's capture becomes audit rows (and those notifications) only when
 * `audit.ingest()` runs: with `ingest` on (the default; needs whodunit_writer), this
 * source runs it every `ingest_interval` and at once on `whodunit_ingest`
 * (postgres_ingest.ts). Run one collector with `ingest` per database; more are safe,
 * they take turns.
 *
 * Position: `cursor-postgres_audit-<job>` in the positions file holds the newest
 * alert time acknowledged downstream and the recent ids, so a restarted collector
 * catches up on what it missed while down, exactly once. Without a positions file
 * (no file targets and a dry run) it is kept in memory: a restart then catches
 * up nothing from before it.
 */
export const postgresAuditConfigSchema = z
  .object({
    url: secretUrl().optional(),
    url_file: z.string().optional(),
    channel: z.string().min(1).max(63).default('whodunit_alert'),
    labels: labelSet().default({}),
    catch_up: z.boolean().default(true),
    /** Run `audit.ingest()`, which turns the capture into audit rows and alerts. Needs whodunit_writer. */
    ingest: z.boolean().default(true),
    /** How often to run it when no `whodunit_ingest` notification comes first. */
    ingest_interval: duration('250ms'),
    /**
     * Run `audit.seal()` this often and ship each new seal (its hash) as a
     * `stream="db_seal"` entry, so a rewrite of the whole chain inside the
     * database is still caught against the copies in Loki. Needs whodunit_writer.
     */
    seal_interval: optionalDuration(),
    /** Run `audit.maintain()` (partitions ahead) this often, e.g. 24h. Needs whodunit_writer. */
    maintain_interval: optionalDuration(),
    /** Post every alert straight to these Alertmanagers (the fast path; see sinks/alertmanager.ts). */
    alertmanager: alertmanagerTargetSchema.optional(),
  })
  .superRefine((config, ctx) => {
    if ((config.url === undefined) === (config.url_file === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of url and url_file' });
    }
  });

export type PostgresAuditConfig = z.output<typeof postgresAuditConfigSchema>;

export interface PostgresAuditSourceOptions {
  config: PostgresAuditConfig;
  /** Names the position key; one source per scrape config. */
  jobName: string;
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  /** Where the catch-up cursor is kept; absent: in memory only. */
  positions?: Positions;
  /** First reconnect delay (doubles up to maxBackoffMs). Default 100 ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface PostgresAuditSource extends Source {
  /** Resolves once LISTEN is on and the catch-up (if any) is queued: now, or after the next (re)connect. */
  listening(): Promise<void>;
}

/** Caught-up alerts may be this much older than the newest one handed over (see above). */
const CATCH_UP_OVERLAP_MS = 60 * 60 * 1000;
const REMEMBERED_IDS = 10_000;
const PERSISTED_IDS = 1_000;

interface Cursor {
  /** Newest alert time acknowledged downstream (ISO 8601), or the first LISTEN's time. */
  since: string | undefined;
  ids: string[];
}

export async function createPostgresAuditSource(
  options: PostgresAuditSourceOptions,
): Promise<PostgresAuditSource> {
  const { config, logger, positions } = options;
  const clock = options.clock ?? systemClock;
  const url = readUrl(config.url, config.url_file);
  const key = cursorKey(`postgres_audit-${options.jobName}`);
  const metricLabels = { job: options.jobName };
  const reconnects = registeredMetric(
    options.metrics,
    'whodunit_postgres_source_reconnects_total',
    () =>
      new Counter({
        name: 'whodunit_postgres_source_reconnects_total',
        help: 'Times the postgres_audit source lost its connection and connected again.',
        labelNames: ['job'],
        registers: [options.metrics],
      }),
  );
  const connectedGauge = registeredMetric(
    options.metrics,
    'whodunit_postgres_source_connected',
    () =>
      new Gauge({
        name: 'whodunit_postgres_source_connected',
        help: '1 while the postgres_audit source listens for alerts, else 0.',
        labelNames: ['job'],
        registers: [options.metrics],
      }),
  );
  const caughtUp = registeredMetric(
    options.metrics,
    'whodunit_postgres_source_caught_up_total',
    () =>
      new Counter({
        name: 'whodunit_postgres_source_caught_up_total',
        help: 'Alerts the postgres_audit source read back from the SQL API after missing their NOTIFY.',
        labelNames: ['job'],
        registers: [options.metrics],
      }),
  );
  connectedGauge.set(metricLabels, 0);

  const queue = new EntryQueue(10_000, 500);
  const cursor = loadCursor(positions?.getString(key));
  // Insertion-ordered: the oldest ids are evicted first.
  const seen = new Set<string>(cursor.ids);
  let stopped = false;
  let listenedBefore = false;
  let client: pg.Client | undefined;
  let wakeBackoff: (() => void) | undefined;
  let listeningNow: (() => void) | undefined;
  let listeningPromise = new Promise<void>((resolve) => (listeningNow = resolve));

  const poster = config.alertmanager
    ? new AlertPoster({
        target: config.alertmanager,
        jobName: options.jobName,
        logger,
        metrics: options.metrics,
      })
    : undefined;

  /** Queues an alert unless its id was already handed out; true when queued. */
  const emit = (alert: AuditAlert): boolean => {
    const id = alertKey(alert);
    if (id !== undefined && seen.has(id)) return false;
    // Alertmanager first: the page must not wait for Loki, nor be lost with a full queue.
    poster?.post(alert);
    if (queue.full) {
      // Not marked as seen: a later catch-up may still bring it.
      logger.warn('alert queue full, alert dropped', { kind: alert.kind, table: alert.table });
      return false;
    }
    if (id !== undefined) {
      seen.add(id);
      if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value as string);
    }
    queue.push([alertEntry(alert, config.labels, clock.now())]);
    return true;
  };

  const commit = (entries: readonly Entry[]) => {
    let newest = cursor.since === undefined ? undefined : Date.parse(cursor.since);
    for (const entry of entries) {
      if (entry.labels.stream === SEAL_STREAM) continue; // seals do not move the alert cursor
      const ms = Number(entry.timestamp / 1_000_000n);
      if (newest === undefined || ms > newest) newest = ms;
    }
    if (newest !== undefined) cursor.since = new Date(newest).toISOString();
    cursor.ids = [...seen].slice(-PERSISTED_IDS);
    positions?.putString(key, JSON.stringify(cursor));
  };

  /** One connection's life: connect, LISTEN, catch up, then wait until it breaks. */
  const session = async (): Promise<void> => {
    const conn = await newPostgresClient({
      connectionString: url.reveal(),
      application_name: 'whodunit-collector',
      // A LISTEN connection is silent for hours: TCP keepalive notices a peer that vanished.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    const broken = new Promise<Error | undefined>((resolve) => {
      conn.on('error', (err) => resolve(err));
      conn.on('end', () => resolve(undefined));
    });
    let ingest: IngestLoop | undefined;
    conn.on('notification', (message) => {
      if (message.channel === INGEST_CHANNEL) ingest?.wake();
      if (message.channel !== config.channel) return;
      const alert = parseAlert(message.payload);
      if (alert === undefined)
        logger.warn('notification is not a JSON object, skipped', { channel: message.channel });
      else emit(alert);
    });
    client = conn;
    try {
      await conn.connect();
      await conn.query(`listen ${conn.escapeIdentifier(config.channel)}`);
      if (config.ingest) await conn.query(`listen ${INGEST_CHANNEL}`);
      const { rows } = await conn.query<{ now: string }>(
        `select pg_catalog.to_json(pg_catalog.now()) #>> '{}' as now`,
      );
      const listenedAt = rows[0]!.now;
      if (cursor.since === undefined) {
        // First LISTEN ever: nothing before it is ours to report.
        cursor.since = new Date(Date.parse(listenedAt)).toISOString();
        positions?.putString(key, JSON.stringify(cursor));
      } else if (config.catch_up) {
        // A failed catch-up (say, a role without whodunit_reader) must not stop live alerts.
        await catchUp(conn, cursor.since).catch((err: unknown) =>
          logger.error('catch-up on missed alerts failed', { error: (err as Error).message }),
        );
      }
    } catch (err) {
      void conn.end().catch(() => undefined);
      throw err;
    }
    if (listenedBefore) reconnects.inc(metricLabels);
    listenedBefore = true;
    connectedGauge.set(metricLabels, 1);
    listeningNow?.();
    if (config.ingest) {
      ingest = startIngestLoop(conn, {
        intervalMs: config.ingest_interval,
        jobName: options.jobName,
        logger,
        metrics: options.metrics,
      });
    }
    const timers = [
      ...(config.seal_interval ? [setInterval(() => void seal(conn), config.seal_interval)] : []),
      ...(config.maintain_interval
        ? [setInterval(() => void housekeeping(conn, 'select audit.maintain()'), config.maintain_interval)]
        : []),
    ];
    const err = await broken;
    for (const timer of timers) clearInterval(timer);
    await ingest?.stop();
    connectedGauge.set(metricLabels, 0);
    listeningPromise = new Promise<void>((resolve) => (listeningNow = resolve));
    if (!stopped) logger.warn('lost the connection to PostgreSQL', { error: err?.message });
  };

  /** Seals new audit rows and hands each new seal downstream (to Loki, out of the database's reach). */
  const seal = async (conn: pg.Client): Promise<void> => {
    try {
      const { rows } = await conn.query<Record<string, unknown>>(
        `select s.seal_id, pg_catalog.to_json(s.sealed_at) #>> '{}' as sealed_at, s.from_id, s.to_id,
                s.row_count, s.seal_hash
           from audit.seal() s`,
      );
      for (const row of rows) queue.push([sealEntry(row, config.labels, clock.now())]);
    } catch (err) {
      logger.warn('audit.seal() failed', { error: (err as Error).message });
    }
  };
  const housekeeping = async (conn: pg.Client, sql: string): Promise<void> => {
    await conn
      .query(sql)
      .catch((err: unknown) => logger.warn(`${sql} failed`, { error: (err as Error).message }));
  };

  const catchUp = async (conn: pg.Client, since: string): Promise<void> => {
    const from = new Date(Date.parse(since) - CATCH_UP_OVERLAP_MS).toISOString();
    const count = await catchUpAlerts(conn, from, emit, logger);
    if (count > 0) {
      caughtUp.inc(metricLabels, count);
      logger.info('caught up on alerts missed while not listening', { count, since: from });
    }
  };

  const run = async () => {
    let backoff = options.minBackoffMs ?? 100;
    while (!stopped) {
      const started = Date.now();
      try {
        await session();
      } catch (err) {
        if (stopped) break;
        logger.warn('cannot listen on PostgreSQL, will retry', {
          error: (err as Error).message,
          backoff_ms: backoff,
        });
      }
      if (stopped) break;
      // A session that lived a while starts the backoff over.
      if (Date.now() - started > 30_000) backoff = options.minBackoffMs ?? 100;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        wakeBackoff = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 30_000);
    }
  };
  const running = run();

  return {
    kind: 'postgres_audit',
    listening: () => listeningPromise,
    async *batches() {
      for await (const batch of queue.batches()) {
        yield { entries: batch.entries, ack: () => commit(batch.entries) };
      }
    },
    async stop() {
      stopped = true;
      poster?.stop();
      wakeBackoff?.();
      await client?.end().catch(() => undefined);
      await running;
      connectedGauge.set(metricLabels, 0);
      queue.close();
    },
  };
}

const SEAL_STREAM = 'db_seal';
/** Notified by the audit triggers when something worth an alert may wait to be ingested. */
const INGEST_CHANNEL = 'whodunit_ingest';

/** A seal as an entry: the seal row as JSON, its id and hash as structured metadata. */
function sealEntry(
  row: Record<string, unknown>,
  labels: Readonly<Record<string, string>>,
  now: bigint,
): Entry {
  return newEntry(JSON.stringify(row), { ...labels, stream: SEAL_STREAM }, now, {
    seal_id: String(row.seal_id),
    seal_hash: String(row.seal_hash),
  });
}

function readUrl(url: Secret | undefined, urlFile: string | undefined): Secret {
  if (url !== undefined) return url;
  try {
    return Secret.url(readFileSync(urlFile!, 'utf8').trim());
  } catch (err) {
    throw new Error(`postgres_audit.url_file: cannot read ${urlFile}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function loadCursor(text: string | undefined): Cursor {
  if (text === undefined) return { since: undefined, ids: [] };
  try {
    const value = JSON.parse(text) as Partial<Cursor>;
    return {
      since:
        typeof value.since === 'string' && !Number.isNaN(Date.parse(value.since)) ? value.since : undefined,
      ids: Array.isArray(value.ids) ? value.ids.filter((id): id is string => typeof id === 'string') : [],
    };
  } catch {
    return { since: undefined, ids: [] };
  }
}
