import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { duration, secretUrl } from '../../config/fields.js';
import { compileSelector, SelectorError, type EntryTest } from '../../pipeline/logql_selector.js';
import { Secret } from '../../secret.js';
import type { BackoffConfig } from '../loki/backoff.js';

const selector = () =>
  z.string().superRefine((text, ctx) => {
    try {
      compileSelector(text);
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      ctx.addIssue({ code: 'custom', message: `invalid selector: ${error.message}` });
    }
  });

/**
 * One entry of `postgres_sinks` (whodunit's addition, not in Promtail): writes
 * application audit events and security detections into the SQL audit trail
 * (`audit.events`, `audit.security_events`; sql/migrations 001 and 009). Like
 * a Loki client it reads the spool on its own and acknowledges only what
 * PostgreSQL committed, so a database outage or a crash loses nothing; rows
 * carry an idempotency key, so what is read again after a crash is not
 * written twice. Exactly one of `url` (secret) and `url_file`; the role needs
 * `whodunit_writer`.
 *
 *   postgres_sinks:
 *     - name: audit_db
 *       url_file: /run/secrets/audit-writer-url
 *       events_selector: '{stream="audit"}'
 *       security_events: true
 */
export const postgresSinkConfigSchema = z
  .object({
    /** Names the sink in metrics (`host`), logs and the spool's acks; unique among postgres_sinks. */
    name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'use letters, digits, _ . and -'),
    url: secretUrl().optional(),
    /** A file holding the URL (read once at start-up, trimmed). */
    url_file: z.string().optional(),
    /**
     * Entries matching this LogQL stream selector (line filters allowed) become
     * `audit.events` rows; absent: no application events are written.
     */
    events_selector: selector().optional(),
    /** Write the detect stage's detections (entries with `security_event` metadata) to `audit.security_events`. */
    security_events: z.boolean().default(false),
    /** Rows per INSERT; a write is due once this many rows wait. */
    batch_rows: z.number().int().positive().max(10_000).default(500),
    /** A write is due once the oldest waiting row has waited this long. */
    batch_wait: duration('1s'),
    /** Connecting and each statement give up after this long (then retried). */
    timeout: duration('30s'),
    /** Retry waits after a failed write: doubling from min_period to max_period, forever. */
    backoff_config: z
      .object({
        min_period: duration('500ms'),
        max_period: duration('5m'),
      })
      .prefault({}),
  })
  .superRefine((sink, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if ((sink.url === undefined) === (sink.url_file === undefined))
      issue(['url'], 'give exactly one of url and url_file');
    if (sink.events_selector === undefined && !sink.security_events)
      issue(['events_selector'], 'nothing to write: give events_selector, or security_events: true, or both');
    if (sink.backoff_config.min_period > sink.backoff_config.max_period)
      issue(['backoff_config', 'min_period'], 'min_period must not be longer than max_period');
  });

export type PostgresSinkConfig = z.output<typeof postgresSinkConfigSchema>;

/** The `postgres_sinks` section: a list with unique names. */
export const postgresSinksSchema = z
  .array(postgresSinkConfigSchema)
  .default([])
  .superRefine((sinks, ctx) => {
    const first = new Map<string, number>();
    sinks.forEach((sink, index) => {
      const earlier = first.get(sink.name);
      if (earlier === undefined) first.set(sink.name, index);
      else {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `found multiple postgres sinks named "${sink.name}" (first at postgres_sinks[${earlier}])`,
        });
      }
    });
  });

/** A sink ready to run: the URL file read, the selector compiled, durations in ms. */
export interface ResolvedPostgresSink {
  name: string;
  url: Secret;
  /** Entries that become audit.events rows; undefined: none. */
  events: EntryTest | undefined;
  securityEvents: boolean;
  batchRows: number;
  batchWaitMs: number;
  timeoutMs: number;
  backoff: BackoffConfig;
}

/** Reads `url_file` (a start-up error naming the key when it cannot) and compiles the selector. */
export async function resolvePostgresSink(config: PostgresSinkConfig): Promise<ResolvedPostgresSink> {
  let url = config.url;
  if (url === undefined) {
    try {
      url = Secret.url((await readFile(config.url_file!, 'utf8')).trim());
    } catch (error) {
      throw new Error(
        `postgres_sinks: ${config.name}: url_file: cannot read ${config.url_file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error },
      );
    }
  }
  return {
    name: config.name,
    url,
    events: config.events_selector === undefined ? undefined : compileSelector(config.events_selector),
    securityEvents: config.security_events,
    batchRows: config.batch_rows,
    batchWaitMs: config.batch_wait,
    timeoutMs: config.timeout,
    backoff: {
      minPeriodMs: config.backoff_config.min_period,
      maxPeriodMs: config.backoff_config.max_period,
      maxRetries: 0,
    },
  };
}
