import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { duration } from '../config/fields.js';
import type { Logger } from '../log.js';
import { alertKey, type AuditAlert } from '../sources/postgres_audit_decode.js';
import { registeredMetric } from '../sources/registered_metric.js';

/**
 * `postgres_audit.alertmanager` (whodunit's addition): the fast path for wipes.
 * A metric path (scrape, rule evaluation, Alertmanager) takes seconds and cannot
 * carry WHO; a POST to Alertmanager's `/api/v2/alerts` takes milliseconds. So
 * every audit alert (mass delete or update, TRUNCATE, DROP, auditing switched
 * off) is posted straight to each configured Alertmanager, with the user, table
 * and a unique event id as labels (a repeat with the same labels is deduplicated
 * by Alertmanager) and rows, operation, IP, request and links as annotations.
 *
 *   alertmanager:
 *     urls: [http://alertmanager:9093]
 *     grafana_url: http://localhost:3000   # for the links in the message
 *     repost_interval: 1m                  # keeps the alert active (Alertmanager resolves silent ones)
 *     active_for: 15m                      # how long an alert is kept active
 */
export const alertmanagerTargetSchema = z.object({
  urls: z.array(z.url()).min(1),
  grafana_url: z.url().default('http://localhost:3000'),
  repost_interval: duration('1m'),
  active_for: duration('15m'),
});

export type AlertmanagerTarget = z.output<typeof alertmanagerTargetSchema>;

/** Alert names by audit alert kind; each has a runbook at docs/runbooks/<name>.md. */
const ALERT_NAMES: Record<string, string> = {
  mass_delete: 'MassDelete',
  mass_update: 'MassUpdate',
  truncate: 'TableTruncated',
  drop: 'TableDropped',
  audit_disabled: 'AuditDisabled',
};

/** Alertmanager keeps every label and annotation; Discord does not. Values are capped here too. */
const MAX_VALUE = 1024;

const text = (value: unknown): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
};

/** The Alertmanager v2 alert for one audit alert. */
export function alertmanagerAlert(alert: AuditAlert, target: AlertmanagerTarget, now: Date): object {
  const kind = String(alert.kind ?? 'unknown');
  const alertname = ALERT_NAMES[kind] ?? 'AuditAlert';
  const user = text(alert.app_username) ?? text(alert.app_user_id) ?? text(alert.db_user) ?? 'unknown';
  const table = text(alert.table) ?? 'unknown';
  const correlation = text(alert.correlation_id);
  const explore = correlation
    ? `${target.grafana_url}/explore?left=${encodeURIComponent(
        JSON.stringify({ queries: [{ expr: `{stream=~".+"} |= ${JSON.stringify(correlation)}` }] }),
      )}`
    : `${target.grafana_url}/explore`;
  const rows = text(alert.rows);
  const operation = text(alert.operation) ?? kind.toUpperCase();
  const labels: Record<string, string> = {
    alertname,
    severity: 'critical',
    category: 'audit',
    kind,
    table,
    user,
    // Unique per audited statement: a second wipe is a new alert, a repost is the same one.
    event_id: alertKey(alert) ?? `tx:${text(alert.tx_id) ?? now.toISOString()}`,
  };
  const annotations: Record<string, string> = {
    summary: `${user} ${operation}${rows ? ` ${rows} rows` : ''} on ${table}`,
    description:
      `${user} (db user ${text(alert.db_user) ?? '?'}) ran ${operation} on ${table}` +
      `${rows ? `, ${rows} rows` : ''}, from ${text(alert.client_ip) ?? 'an unknown address'}` +
      `${correlation ? `, request ${correlation}` : ''}.`,
    runbook_url: `docs/runbooks/${alertname}.md`,
    grafana_url: explore,
  };
  const extra: [string, unknown][] = [
    ['rows', alert.rows],
    ['operation', operation],
    ['client_ip', alert.client_ip],
    // The name the Discord templates read (config/alertmanager/templates/whodunit.tmpl).
    ['ip', alert.client_ip],
    ['correlation_id', alert.correlation_id],
    ['db_user', alert.db_user],
    ['application_name', alert.application_name],
    ['statement', alert.statement],
    ['time', alert.time],
  ];
  for (const [key, value] of extra) {
    const v = text(value);
    if (v !== undefined) annotations[key] = v;
  }
  // startsAt: when it happened; no endsAt, so Alertmanager keeps it active for its
  // resolve_timeout after each post (an endsAt in the past would never be sent).
  const startsAt = typeof alert.time === 'string' && !Number.isNaN(Date.parse(alert.time)) ? alert.time : now;
  return { labels, annotations, startsAt: new Date(startsAt).toISOString(), generatorURL: explore };
}

export interface AlertPosterOptions {
  target: AlertmanagerTarget;
  jobName: string;
  logger: Logger;
  metrics: Registry;
  /** First retry delay after a failed post; doubles up to 5 s. Default 100 ms. */
  retryMs?: number;
}

/** At most this many alerts are kept active (re-posted); the oldest are let go first. */
const MAX_ACTIVE = 1000;

/**
 * Posts each audit alert to every Alertmanager, retries while one is down, and
 * re-posts while the alert is active. Fire and forget for the caller: the source
 * never waits on Alertmanager.
 */
export class AlertPoster {
  readonly #options: AlertPosterOptions;
  readonly #active = new Map<string, AbortController>();
  readonly #posts: Counter<'job' | 'result'>;
  #stopped = false;

  constructor(options: AlertPosterOptions) {
    this.#options = options;
    this.#posts = registeredMetric(
      options.metrics,
      'whodunit_alertmanager_posts_total',
      () =>
        new Counter({
          name: 'whodunit_alertmanager_posts_total',
          help: 'Audit alerts posted straight to Alertmanager, by result (ok, error).',
          labelNames: ['job', 'result'],
          registers: [options.metrics],
        }),
    );
  }

  post(alert: AuditAlert): void {
    if (this.#stopped) return;
    const key = alertKey(alert) ?? `${String(alert.tx_id)}:${String(alert.kind)}:${String(alert.table)}`;
    if (this.#active.has(key)) return;
    if (this.#active.size >= MAX_ACTIVE) {
      const [oldest, controller] = this.#active.entries().next().value as [string, AbortController];
      controller.abort();
      this.#active.delete(oldest);
    }
    const controller = new AbortController();
    this.#active.set(key, controller);
    void this.#keepActive(alert, controller.signal).finally(() => {
      if (this.#active.get(key) === controller) this.#active.delete(key);
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const controller of this.#active.values()) controller.abort();
    this.#active.clear();
  }

  async #keepActive(alert: AuditAlert, signal: AbortSignal): Promise<void> {
    const { target } = this.#options;
    const until = Date.now() + target.active_for;
    const body = JSON.stringify([alertmanagerAlert(alert, target, new Date())]);
    let retryMs = this.#options.retryMs ?? 100;
    let pending = [...target.urls];
    while (!signal.aborted && Date.now() < until) {
      const failed: string[] = [];
      for (const url of pending) {
        if (await this.#send(url, body, signal)) continue;
        failed.push(url);
      }
      if (failed.length > 0) {
        pending = failed;
        await sleep(retryMs, signal);
        retryMs = Math.min(retryMs * 2, 5000);
        continue;
      }
      pending = [...target.urls];
      retryMs = this.#options.retryMs ?? 100;
      await sleep(target.repost_interval, signal);
    }
  }

  async #send(url: string, body: string, signal: AbortSignal): Promise<boolean> {
    const { jobName, logger } = this.#options;
    try {
      const response = await fetch(new URL('/api/v2/alerts', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
      });
      await response.arrayBuffer();
      if (response.ok) {
        this.#posts.inc({ job: jobName, result: 'ok' });
        return true;
      }
      logger.warn('alertmanager refused an audit alert', { url, status: response.status });
    } catch (error) {
      if (signal.aborted) return true;
      logger.warn('alertmanager unreachable, retrying', { url, error: String(error) });
    }
    this.#posts.inc({ job: jobName, result: 'error' });
    return false;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
