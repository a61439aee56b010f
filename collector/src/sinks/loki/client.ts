import { Arrival } from '../../arrival.js';
import type { Logger } from '../../log.js';
import type { Batch } from '../../sources/source.js';
import { Backoff, parseRetryAfter } from './backoff.js';
import { PendingBatches, type TenantBatch } from './batch.js';
import type { ResolvedClient } from './config.js';
import { encodeBatch, PushScratch } from './encode.js';
import { readFragmentEntry } from '../../loki/push_read.js';
import { renderLabels } from '../../loki/labels.js';
import type { Entry } from '../../pipeline/entry.js';
import { asSpooled, streamEntries, type SpooledStream } from '../../spool/codec.js';
import { lokiReason } from './loki_errors.js';
import type { LokiClientMetrics } from './metrics.js';
import { prepareEntry, type FixReason } from './sanitize.js';
import { createTransport, type SendResult, type Transport } from './send.js';

export interface LokiClientOptions {
  client: ResolvedClient;
  metrics: LokiClientMetrics;
  logger: Logger;
  /** Wall clock for batchwait and Retry-After dates; default Date.now. */
  nowMs?: () => number;
  /** How backoff waits; tests pass one that records and returns at once. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source; default Math.random. */
  random?: () => number;
}

class Stopped extends Error {}

/** Where a spooled label set goes: Loki's label text and the tenant. */
interface Route {
  labels: string;
  tenant: string | undefined;
}

const ROUTE_CACHE_LIMIT = 10_000;

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * One entry of `clients`: pulls batches (from the spool, one reader per
 * client), groups them per tenant and stream, and pushes to Loki.
 *
 * - A push goes out when the waiting entries reach `batchsize` bytes or the
 *   oldest has waited `batchwait`; one push per tenant (X-Scope-OrgID).
 * - 429, 5xx and network errors are retried with backoff, honouring
 *   Retry-After; other 4xx drop the batch, counted by Loki's reason and logged
 *   once per reason with Loki's text. `max_retries` exhausted drops too
 *   (reason `max_retries`; 0 = retry forever, safe with the spool).
 * - A batch's ack() is called only after every entry in it was answered by
 *   Loki (accepted or definitively dropped), in the order batches arrived, so
 *   the spool releases exactly what Loki has.
 * - The next batch is pulled only when there is room: a slow Loki slows the
 *   reader, never fills memory.
 */
export class LokiClient {
  readonly name: string;
  readonly #config: ResolvedClient;
  readonly #metrics: LokiClientMetrics;
  readonly #logger: Logger;
  readonly #nowMs: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #transport: Transport;
  readonly #stop = new AbortController();
  readonly #loggedReasons = new Set<string>();
  readonly #report: (reason: FixReason, dropped: boolean) => void;
  /** Per spooled label set (JSON): how its streams go out, or null when entries need fixing. */
  readonly #routes = new Map<string, Route | null>();
  /** The push being sent, uncompressed and compressed, in buffers reused from one push to the next. */
  readonly #scratch: PushScratch;

  constructor(options: LokiClientOptions) {
    this.#config = options.client;
    this.name = options.client.name;
    this.#metrics = options.metrics;
    this.#logger = options.logger.child({ component: 'loki_client', client: this.name });
    this.#nowMs = options.nowMs ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
    this.#transport = createTransport(options.client.url, options.client.tls, options.client.timeoutMs);
    this.#scratch = new PushScratch(expectedPushBytes(options.client.batchSizeBytes));
    this.#report = (reason, dropped) => {
      if (dropped) {
        this.#metrics.droppedEntries.inc({ host: this.name, reason, tenant: '' });
        this.#metrics.droppedTotal.inc({ reason });
      } else this.#metrics.mutatedEntries.inc({ host: this.name, reason });
      this.#logOnce(
        `fix:${reason}`,
        dropped ? 'entry dropped before sending' : 'entry changed so Loki accepts it',
        {
          reason,
        },
      );
    };
  }

  /**
   * Ships `input` until it ends (then flushes what waits) or stop() is called
   * (then returns at once, leaving unacknowledged batches unacknowledged).
   */
  async run(input: AsyncIterable<Batch>): Promise<void> {
    const config = this.#config;
    const iterator = input[Symbol.asyncIterator]();
    const pending = new PendingBatches(config.encoding, expectedPushBytes(config.batchSizeBytes));
    const tenant: { value: string | undefined } = { value: undefined };
    let acks: (() => void)[] = [];
    let next: Arrival<IteratorResult<Batch>> | undefined;
    let ended = false;
    const signal = this.#stop.signal;

    const flush = async () => {
      const eligible = acks;
      acks = [];
      for (const batch of pending.take()) await this.#push(batch);
      for (const ack of eligible) ack();
    };

    const addEntry = async (entry: Entry) => {
      const out = prepareEntry(
        entry,
        config.externalLabels,
        config.tenantId,
        config.limits,
        this.#report,
        tenant,
      );
      if (!out) return;
      if (pending.entries > 0 && pending.bytes + PendingBatches.sizeOf(out) > config.batchSizeBytes)
        await flush();
      // The clock only matters for the first entry of a batch (batchwait runs from it).
      pending.add(tenant.value, out, pending.entries === 0 ? this.#nowMs() : 0);
    };

    try {
      while (!this.#stop.signal.aborted) {
        if (ended) {
          await flush();
          break;
        }
        next ??= new Arrival(iterator.next());
        const oldest = pending.oldestAtMs;
        const waitMs = oldest === undefined ? undefined : oldest + config.batchWaitMs - this.#nowMs();
        const arrived = waitMs !== undefined && waitMs <= 0 ? 'timeout' : await next.wait(waitMs, signal);
        if (arrived === 'abort') break;
        if (arrived === 'timeout') {
          await flush();
          continue;
        }
        const result = arrived.value;
        next = undefined;
        if (result.done) {
          ended = true;
          continue;
        }
        const spooled = asSpooled(result.value);
        const streams = config.encoding === 'protobuf' ? spooled?.streams : undefined;
        if (streams) {
          // Fragments are copied (PendingBatches) or decoded here: the reader may then reuse its buffer.
          for (const stream of streams) {
            const route = this.#route(stream);
            if (route) await this.#addFragment(pending, route, stream, flush);
            else for (const entry of streamEntries(stream)) await addEntry(entry);
          }
        } else for (const entry of result.value.entries) await addEntry(entry);
        spooled?.release();
        acks.push(result.value.ack);
        if (pending.entries === 0 || pending.bytes >= config.batchSizeBytes) await flush();
      }
    } catch (error) {
      if (!(error instanceof Stopped)) throw error;
    } finally {
      this.#transport.close();
      // Let the input (a spool reader) close the segment file it holds open. Not
      // awaited: a pending read ends only when the spool closes, after this.
      iterator.return?.(undefined)?.catch(() => undefined);
    }
  }

  /**
   * How a spooled stream goes out without looking at its entries: Loki's
   * label text and tenant, cached per label set. Undefined when an entry of
   * it needs a fix (label names, too many labels, a line over max_line_size):
   * those take prepareEntry() one by one, counted as always.
   */
  #route(stream: SpooledStream): Route | undefined {
    const config = this.#config;
    if (config.limits.maxLineSize > 0 && stream.longestLine > config.limits.maxLineSize) return undefined;
    let route = this.#routes.get(stream.labelsJson);
    if (route === undefined) {
      const labels = JSON.parse(stream.labelsJson) as Record<string, string>;
      const probe = { labels, line: '', timestamp: 0n, structuredMetadata: {}, extracted: {} };
      const tenant: { value: string | undefined } = { value: undefined };
      let fixed = false;
      const out = prepareEntry(
        probe,
        config.externalLabels,
        config.tenantId,
        config.limits,
        () => (fixed = true),
        tenant,
      );
      route = fixed || !out ? null : { labels: renderLabels(out.labels), tenant: tenant.value };
      if (this.#routes.size >= ROUTE_CACHE_LIMIT) this.#routes.clear();
      this.#routes.set(stream.labelsJson, route);
    }
    return route ?? undefined;
  }

  /**
   * Adds a spooled stream's fragment, pushing first whatever would take the
   * batch past batchsize; a fragment bigger than the room left is split at
   * entry boundaries, so batches stay within batchsize as entry by entry.
   */
  async #addFragment(
    pending: PendingBatches,
    route: Route,
    stream: SpooledStream,
    flush: () => Promise<void>,
  ): Promise<void> {
    const limit = this.#config.batchSizeBytes;
    let { fragment, count, bytes } = stream;
    while (count > 0) {
      const nowMs = pending.entries === 0 ? this.#nowMs() : 0;
      if (pending.bytes + bytes <= limit) {
        pending.addFragment(route.tenant, route.labels, fragment, count, bytes, stream.newest, nowMs);
        return;
      }
      let at = 0;
      let taken = 0;
      let takenBytes = 0;
      let newest = 0n;
      while (at < fragment.length) {
        const entry = readFragmentEntry(fragment, at);
        const first = taken === 0 && pending.entries === 0;
        if (!first && pending.bytes + takenBytes + entry.bytes > limit) break;
        at = entry.end;
        taken++;
        takenBytes += entry.bytes;
        if (entry.timestamp > newest) newest = entry.timestamp;
      }
      if (taken > 0)
        pending.addFragment(
          route.tenant,
          route.labels,
          fragment.subarray(0, at),
          taken,
          takenBytes,
          newest,
          nowMs,
        );
      await flush();
      fragment = fragment.subarray(at);
      count -= taken;
      bytes -= takenBytes;
    }
  }

  /** Stops pulling and abandons backoff waits; run() then returns without acking what was not sent. */
  stop(): void {
    this.#stop.abort();
  }

  async #push(batch: TenantBatch): Promise<void> {
    const config = this.#config;
    const tenant = batch.tenant ?? '';
    const encoded = encodeBatch(batch, config.encoding, this.#scratch);
    const headers: Record<string, string> = { ...config.headers, 'content-type': encoded.contentType };
    if (batch.tenant) headers['x-scope-orgid'] = batch.tenant;
    const backoff = new Backoff(config.backoff, this.#random);
    for (let attempt = 0; ; attempt++) {
      if (this.#stop.signal.aborted) throw new Stopped();
      const started = performance.now();
      const result = await this.#transport.post(encoded.body, headers);
      const status = result.kind === 'response' ? result.status : 0;
      this.#metrics.requestDuration.observe(
        { host: this.name, status_code: String(status) },
        (performance.now() - started) / 1000,
      );
      if (status >= 200 && status < 300) return this.#accepted(batch, attempt);
      if (status === 429 && config.dropRateLimitedBatches) return this.#drop(batch, 'rate_limited', result);
      const retryable = result.kind === 'network' || status === 429 || status >= 500;
      if (!retryable)
        return this.#drop(batch, lokiReason(status, result.kind === 'response' ? result.body : ''), result);
      if (!backoff.ongoing()) return this.#drop(batch, 'max_retries', result);
      const retryAfter =
        result.kind === 'response' ? parseRetryAfter(result.retryAfter, this.#nowMs()) : undefined;
      const waitMs = backoff.nextDelay(retryAfter);
      this.#metrics.retries.inc({ host: this.name, tenant });
      const fields = {
        tenant,
        status,
        error: describe(result),
        retry_in_ms: Math.round(waitMs),
        entries: batch.entries,
      };
      if (attempt === 0) this.#logger.warn('error sending batch, will retry', fields);
      else this.#logger.debug('error sending batch, will retry', fields);
      await this.#sleep(waitMs, this.#stop.signal);
    }
  }

  #accepted(batch: TenantBatch, attempt: number): void {
    this.#metrics.sentEntries.inc({ host: this.name }, batch.entries);
    this.#metrics.sentBytes.inc({ host: this.name }, batch.bytes);
    const seconds = Number(batch.newest) / 1e9;
    const gauge = this.#metrics.lastAcked;
    if (seconds > 0) gauge.set({ host: this.name }, seconds);
    if (attempt > 0)
      this.#logger.info('batch sent after retries', { tenant: batch.tenant ?? '', retries: attempt });
  }

  #drop(batch: TenantBatch, reason: string, result: SendResult): void {
    const labels = { host: this.name, reason, tenant: batch.tenant ?? '' };
    this.#metrics.droppedEntries.inc(labels, batch.entries);
    this.#metrics.droppedTotal.inc({ reason }, batch.entries);
    this.#metrics.droppedBytes.inc(labels, batch.bytes);
    this.#logOnce(`drop:${reason}`, 'batch dropped', {
      reason,
      tenant: batch.tenant ?? '',
      entries: batch.entries,
      status: result.kind === 'response' ? result.status : 0,
      error: describe(result),
    });
  }

  /** Warns the first time a reason shows up; its counter carries every later occurrence. */
  #logOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.#loggedReasons.has(key)) return;
    this.#loggedReasons.add(key);
    this.#logger.warn(message, { ...fields, note: 'logged once per reason; see the counter for later ones' });
  }
}

/** A full push: batchsize counts line and metadata bytes; timestamps and protobuf framing add about 8% to log lines. */
function expectedPushBytes(batchSizeBytes: number): number {
  return Math.min(16 << 20, Math.ceil(batchSizeBytes * 1.125) + (64 << 10));
}

function describe(result: SendResult): string {
  return result.kind === 'response' ? result.body : result.error;
}
