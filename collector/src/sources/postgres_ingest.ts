import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { registeredMetric } from './registered_metric.js';

/**
 * Drives `audit.ingest()` for the `postgres_audit` source. The audited transactions
 * write their capture as WAL messages (sql/migrations/011); they become audit rows,
 * and the `whodunit_alert` NOTIFYs the source listens for, only when something
 * ingests them (012). So, on the source's connection:
 *   - at once, then every `intervalMs`;
 *   - again at once while a call still finds a full batch (a backlog);
 *   - at once when `whodunit_ingest` is notified (the audit trigger of a DELETE or
 *     UPDATE of several rows, a TRUNCATE, a DROP), then at 20, 40, 80 ... ms until it
 *     finds something or reaches `intervalMs`: under `synchronous_commit = off` the
 *     notification can arrive before the WAL holding the wipe is flushed, and
 *     logical decoding reads only flushed WAL.
 * Between polls it waits at least four times as long as the last call took: a call
 * decodes from the slot's restart point, which PostgreSQL 15 moves only every 15 s
 * under load (16+ moves it at each call, see sql/migrations/012), so back-to-back
 * calls would decode the same WAL again and again. This keeps ingest to about a fifth
 * of a core at most; wake-ups are never delayed by it.
 * A role without EXECUTE on audit.ingest (a plain whodunit_reader) is told once;
 * the source then only listens, and something else must ingest.
 */
export interface IngestLoop {
  /** A `whodunit_ingest` notification: ingest now. */
  wake(): void;
  /** Ends the loop; resolves once no call is running. */
  stop(): Promise<void>;
}

export interface IngestLoopOptions {
  intervalMs: number;
  jobName: string;
  logger: Logger;
  metrics: Registry;
}

/** Messages per audit.ingest() call: one call stays short, a backlog takes several. */
const BATCH_CHANGES = 20_000;
const FIRST_RETRY_MS = 20;

export function startIngestLoop(conn: pg.Client, options: IngestLoopOptions): IngestLoop {
  const labels = { job: options.jobName };
  const rows = registeredMetric(
    options.metrics,
    'whodunit_postgres_ingested_rows_total',
    () =>
      new Counter({
        name: 'whodunit_postgres_ingested_rows_total',
        help: 'Audit rows audit.ingest() wrote from the capture, called by the postgres_audit source.',
        labelNames: ['job'],
        registers: [options.metrics],
      }),
  );
  const failures = registeredMetric(
    options.metrics,
    'whodunit_postgres_ingest_failures_total',
    () =>
      new Counter({
        name: 'whodunit_postgres_ingest_failures_total',
        help: 'audit.ingest() calls of the postgres_audit source that failed.',
        labelNames: ['job'],
        registers: [options.metrics],
      }),
  );

  let stopped = false;
  let wakeWait: (() => void) | undefined;
  let woken = false;
  let lastFailure = '';

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeWait = undefined;
        resolve();
      }
      wakeWait = done;
    });

  /** Rows written, or undefined when this role may not ingest at all. */
  const ingestOnce = async (): Promise<number | undefined> => {
    try {
      const result = await conn.query<{ written: string }>('select audit.ingest($1) as written', [
        BATCH_CHANGES,
      ]);
      lastFailure = '';
      const written = Number(result.rows[0]?.written ?? 0);
      if (written > 0) rows.inc(labels, written);
      return written;
    } catch (err) {
      const { code, message } = err as { code?: string; message: string };
      // 42501: no EXECUTE; 42883: no such function (a database migrated before 012).
      if (code === '42501' || code === '42883') {
        options.logger.warn('cannot run audit.ingest(); this source only listens for alerts', {
          error: message,
        });
        return undefined;
      }
      if (stopped) return 0;
      failures.inc(labels);
      // Once per distinct failure, not once per poll.
      if (message !== lastFailure)
        options.logger.warn('audit.ingest() failed, will retry', { error: message });
      lastFailure = message;
      return 0;
    }
  };

  const run = async () => {
    let retryMs = 0;
    while (!stopped) {
      woken = false;
      const started = Date.now();
      const written = await ingestOnce();
      const tookMs = Date.now() - started;
      if (written === undefined) return;
      if (stopped) return;
      if (woken) continue; // a wake-up came in while this call ran
      if (written >= BATCH_CHANGES) continue; // a backlog: read on
      // After a wake-up that found nothing yet, look again soon (unflushed WAL, see above).
      if (retryMs > 0 && written === 0 && retryMs < options.intervalMs) {
        await wait(retryMs);
        retryMs *= 2;
        continue;
      }
      retryMs = 0;
      await wait(Math.max(options.intervalMs, 4 * tookMs));
      if (woken) retryMs = FIRST_RETRY_MS;
    }
  };
  const running = run();

  return {
    wake() {
      woken = true;
      wakeWait?.();
    },
    async stop() {
      stopped = true;
      wakeWait?.();
      await running;
    },
  };
}
