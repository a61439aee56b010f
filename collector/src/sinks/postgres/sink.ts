import { setTimeout as delay } from 'node:timers/promises';
import { Arrival } from '../../arrival.js';
import type { Logger } from '../../log.js';
import type { Entry } from '../../pipeline/entry.js';
import type { Batch } from '../../sources/source.js';
import { Backoff } from '../loki/backoff.js';
import type { ResolvedPostgresSink } from './config.js';
import { eventRow, securityEventRow, type DropReason } from './map.js';
import type { PostgresSinkMetrics } from './metrics.js';
import { PostgresWriter, type RowBatch, type WriteResult } from './write.js';

export interface PostgresSinkOptions {
  sink: ResolvedPostgresSink;
  metrics: PostgresSinkMetrics;
  logger: Logger;
  /** Clock for batch_wait; default Date.now. */
  nowMs?: () => number;
  /** Jitter source for the backoff; default Math.random. */
  random?: () => number;
}

class Stopped extends Error {}

/**
 * The detect stage's copy of a detection (label stream="security"): it goes to
 * audit.security_events only, or a selector matching both it and the original
 * would write the same application event twice.
 */
const isDetectionCopy = (entry: Entry) =>
  entry.labels.stream === 'security' && entry.structuredMetadata.security_event !== undefined;

/** The spool reader name of a sink: apart from the Loki clients' (URL hosts, which hold no `/`). */
export const spoolClientName = (sinkName: string) => `postgres/${sinkName}`;

/**
 * One entry of `postgres_sinks`: reads the spool (its own reader, its own
 * acks) and writes application events and detections into PostgreSQL.
 *
 * - Entries the `events_selector` matches become audit.events rows (but for
 *   the detect stage's stream="security" copies), detections (with
 *   `security_events: true`) audit.security_events rows (map.ts); other
 *   entries are passed over. An entry that cannot be mapped is dropped and
 *   counted by reason, logged once per reason; it never holds up the others.
 * - A write goes out when `batch_rows` rows wait or the oldest has waited
 *   `batch_wait`: one transaction, one INSERT per table and batch_rows rows.
 * - Spool batches are acknowledged after COMMIT, in order. A failed write is
 *   retried with backoff, forever: the spool keeps the data (and its max_bytes
 *   bounds it), the batch in hand is the only one in memory. After a crash the
 *   unacknowledged records are read again; their rows carry the same
 *   idempotency key and are skipped by the database.
 */
export class PostgresSink {
  readonly name: string;
  readonly spoolName: string;
  readonly #sink: ResolvedPostgresSink;
  readonly #metrics: PostgresSinkMetrics;
  readonly #logger: Logger;
  readonly #nowMs: () => number;
  readonly #random: () => number;
  readonly #writer: PostgresWriter;
  readonly #stop = new AbortController();
  readonly #loggedReasons = new Set<string>();

  constructor(options: PostgresSinkOptions) {
    this.#sink = options.sink;
    this.name = options.sink.name;
    this.spoolName = spoolClientName(this.name);
    this.#metrics = options.metrics;
    this.#logger = options.logger.child({ component: 'postgres_sink', sink: this.name });
    this.#nowMs = options.nowMs ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#writer = new PostgresWriter(options.sink.url, options.sink.timeoutMs);
  }

  /**
   * Writes `input` until it ends (then flushes what waits) or stop() is called
   * (then returns, leaving unacknowledged batches unacknowledged).
   */
  async run(input: AsyncIterable<Batch>): Promise<void> {
    const { batchRows, batchWaitMs } = this.#sink;
    const iterator = input[Symbol.asyncIterator]();
    const signal = this.#stop.signal;
    let pending: RowBatch = { events: [], securityEvents: [] };
    let keys = new Set<string>();
    let acks: (() => void)[] = [];
    let oldestAtMs: number | undefined;
    let next: Arrival<IteratorResult<Batch>> | undefined;
    let ended = false;
    const rows = () => pending.events.length + pending.securityEvents.length;

    const flush = async () => {
      const batch = pending;
      const eligible = acks;
      pending = { events: [], securityEvents: [] };
      keys = new Set();
      acks = [];
      oldestAtMs = undefined;
      if (batch.events.length + batch.securityEvents.length > 0) await this.#write(batch);
      for (const ack of eligible) ack();
    };

    this.#metrics.up.set({ host: this.name }, 0);
    try {
      while (!signal.aborted) {
        if (ended) {
          await flush();
          break;
        }
        next ??= new Arrival(iterator.next());
        const waitMs = oldestAtMs === undefined ? undefined : oldestAtMs + batchWaitMs - this.#nowMs();
        const arrived = waitMs !== undefined && waitMs <= 0 ? 'timeout' : await next.wait(waitMs, signal);
        if (arrived === 'abort') break;
        if (arrived === 'timeout') {
          await flush();
          continue;
        }
        next = undefined;
        if (arrived.value.done) {
          ended = true;
          continue;
        }
        for (const entry of arrived.value.value.entries) this.#add(entry, pending, keys);
        acks.push(arrived.value.value.ack);
        // Nothing to write (no entry of ours): acknowledged at once, no round trip.
        if (rows() === 0) await flush();
        else {
          oldestAtMs ??= this.#nowMs();
          if (rows() >= batchRows) await flush();
        }
      }
    } catch (error) {
      if (!(error instanceof Stopped)) throw error;
    } finally {
      this.#writer.close();
      // Let the spool reader close the segment it holds open (not awaited: see LokiClient.run).
      iterator.return?.(undefined)?.catch(() => undefined);
    }
  }

  /** Stops reading, abandons a retry wait or a write in progress; run() then returns. */
  stop(): void {
    this.#stop.abort();
    this.#writer.close();
  }

  #add(entry: Entry, pending: RowBatch, keys: Set<string>): void {
    if (this.#sink.events?.(entry) && !isDetectionCopy(entry)) {
      const row = eventRow(entry);
      if (typeof row === 'string') this.#drop(row, 1);
      else if (!keys.has(`e${row.key}`)) {
        keys.add(`e${row.key}`);
        pending.events.push(row);
      }
    }
    if (this.#sink.securityEvents) {
      const row = securityEventRow(entry);
      // The detect stage's entry and its stream="security" copy share one key: one row.
      if (row !== undefined && !keys.has(`s${row.key}`)) {
        keys.add(`s${row.key}`);
        pending.securityEvents.push(row);
      }
    }
  }

  /** Writes one batch, retrying with backoff until it is committed or the sink stops. */
  async #write(batch: RowBatch): Promise<void> {
    const backoff = new Backoff(this.#sink.backoff, this.#random);
    const signal = this.#stop.signal;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new Stopped();
      let result: WriteResult;
      try {
        result = await this.#writer.write(batch, this.#sink.batchRows);
      } catch (error) {
        if (signal.aborted) throw new Stopped();
        this.#metrics.up.set({ host: this.name }, 0);
        this.#metrics.retries.inc({ host: this.name });
        const waitMs = backoff.nextDelay();
        const fields = {
          error: (error as Error).message,
          code: (error as { code?: unknown }).code,
          retry_in_ms: Math.round(waitMs),
          rows: batch.events.length + batch.securityEvents.length,
        };
        if (attempt === 0) this.#logger.warn('cannot write to PostgreSQL, will retry', fields);
        else this.#logger.debug('cannot write to PostgreSQL, will retry', fields);
        await delay(waitMs, undefined, { signal }).catch(() => undefined);
        continue;
      }
      this.#written(batch, result, attempt);
      return;
    }
  }

  #written(batch: RowBatch, result: WriteResult, attempt: number): void {
    const host = this.name;
    this.#metrics.up.set({ host }, 1);
    const sent = { events: batch.events.length, security_events: batch.securityEvents.length };
    for (const table of ['events', 'security_events'] as const) {
      const rejected = result.rejected.filter((r) => r.table === table).length;
      this.#metrics.rows.inc({ host, table }, result.inserted[table]);
      this.#metrics.duplicates.inc({ host, table }, sent[table] - rejected - result.inserted[table]);
    }
    if (result.rejected.length > 0)
      this.#drop('rejected', result.rejected.length, { error: result.rejected[0]!.message });
    if (attempt > 0) this.#logger.info('written to PostgreSQL after retries', { retries: attempt });
  }

  /** Counts entries given up on; warns the first time a reason shows up (the counter has the rest). */
  #drop(reason: DropReason | 'rejected', count: number, fields: Record<string, unknown> = {}): void {
    this.#metrics.dropped.inc({ host: this.name, reason }, count);
    this.#metrics.droppedTotal.inc({ reason }, count);
    if (this.#loggedReasons.has(reason)) return;
    this.#loggedReasons.add(reason);
    this.#logger.warn('entry dropped, not written to PostgreSQL', {
      reason,
      ...fields,
      note: 'logged once per reason; see whodunit_postgres_sink_dropped_entries_total for later ones',
    });
  }
}
