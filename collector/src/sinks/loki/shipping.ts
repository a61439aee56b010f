import type { Registry } from 'prom-client';
import type { ClientConfig } from '../../config/client.js';
import type { Logger } from '../../log.js';
import type { Batch } from '../../sources/source.js';
import { openSpool, type Spool } from '../../spool/spool.js';
import { collectorVersion } from '../../version.js';
import { resolvePostgresSink, type PostgresSinkConfig } from '../postgres/config.js';
import { postgresSinkMetrics } from '../postgres/metrics.js';
import { PostgresSink, spoolClientName } from '../postgres/sink.js';
import { LokiClient } from './client.js';
import { resolveClient, type EntryLimits, type PushEncoding, type ResolvedClient } from './config.js';
import { lokiClientMetrics } from './metrics.js';

export interface ShippingOptions {
  /** The validated `clients` section. */
  clients: readonly ClientConfig[];
  /** The validated `postgres_sinks` section: more spool readers, with the same guarantee. */
  postgresSinks?: readonly PostgresSinkConfig[];
  spool: {
    directory: string;
    /** `spool.max_bytes`; default 1 GiB. */
    maxBytes?: number;
    /** Group-commit window for fdatasync; default 10 ms. */
    fsyncIntervalMs?: number;
  };
  logger: Logger;
  metrics: Registry;
  encoding?: PushEncoding;
  limits?: Partial<EntryLimits>;
}

export interface Shipping {
  /**
   * Consumes processed batches: each batch's entries (and the file positions
   * they complete, `Batch.positions`) go to the spool, and the batch is
   * acknowledged (its source may save its position) once they are durable. Up to 8 batches are in flight so one fsync covers several.
   * Resolves when `batches` ends.
   */
  write(batches: AsyncIterable<Batch>): Promise<void>;
  /** For receivers that must answer 429 while the spool is at max_bytes. */
  readonly spool: Spool;
  /** Spool reader names in config order: Loki clients (metrics `host` label), then `postgres/<name>` (acks.json keys). */
  readonly clientNames: readonly string[];
  /**
   * Graceful stop: waits up to `graceMs` for every client to catch up with
   * the spool, then stops them and closes the spool. What is left is sent
   * after the next start.
   */
  stop(graceMs: number): Promise<void>;
}

/** Batches spooled but not yet acked: enough for one fsync to cover several, few enough to bound memory. */
const IN_FLIGHT = 8;

/** What reads the spool: a Loki client or a PostgreSQL sink. */
interface SpoolConsumer {
  readonly spoolName: string;
  run(input: AsyncIterable<Batch>): Promise<void>;
  stop(): void;
}

/**
 * The shipping half of the collector: spool -> one reader per client -> Loki,
 * and one per `postgres_sinks` entry -> PostgreSQL. Sources never talk to
 * them; they only see their batches acknowledged once the spool holds the
 * entries, so an outage or a crash loses nothing.
 */
export async function startShipping(options: ShippingOptions): Promise<Shipping> {
  const userAgent = `whodunit-collector/${collectorVersion()}`;
  const resolved: ResolvedClient[] = [];
  const seen = new Map<string, number>();
  for (const config of options.clients) {
    const client = await resolveClient(config, {
      userAgent,
      encoding: options.encoding,
      limits: options.limits,
    });
    const n = (seen.get(client.name) ?? 0) + 1;
    seen.set(client.name, n);
    if (n > 1) client.name = `${client.name}#${n}`;
    resolved.push(client);
  }
  const sinks = await Promise.all((options.postgresSinks ?? []).map(resolvePostgresSink));
  const spool = await openSpool(options.spool.directory, {
    clients: [...resolved.map((c) => c.name), ...sinks.map((s) => spoolClientName(s.name))],
    maxBytes: options.spool.maxBytes,
    fsyncIntervalMs: options.spool.fsyncIntervalMs,
    metrics: options.metrics,
    logger: options.logger.child({ component: 'spool' }),
  });
  const metrics = lokiClientMetrics(options.metrics);
  const sinkMetrics = postgresSinkMetrics(options.metrics);
  const clients: SpoolConsumer[] = [
    ...resolved.map((client) => {
      const loki = new LokiClient({ client, metrics, logger: options.logger });
      return {
        spoolName: loki.name,
        run: (input: AsyncIterable<Batch>) => loki.run(input),
        stop: () => loki.stop(),
      };
    }),
    ...sinks.map((sink) => new PostgresSink({ sink, metrics: sinkMetrics, logger: options.logger })),
  ];
  const runs = clients.map((client) =>
    client.run(spool.reader(client.spoolName)).catch((error: unknown) => {
      options.logger.error('spool reader stopped on an unexpected error', {
        client: client.spoolName,
        error: String(error),
      });
    }),
  );

  return {
    spool,
    clientNames: clients.map((c) => c.spoolName),
    async write(batches) {
      // Acks go back in batch order (a source's position only moves forward).
      const inFlight: Promise<void>[] = [];
      let previous: Promise<void> = Promise.resolve();
      for await (const batch of batches) {
        // append() encodes the entries at once; only the ack waits for the fsync. Entries
        // held until then outlived young-generation GCs and filled the old generation.
        const durable = batch.entries.length > 0 ? spool.append(batch.entries, batch.positions) : undefined;
        const before = previous;
        const { ack } = batch;
        previous = (async () => {
          await Promise.all([before, durable]);
          ack();
        })();
        inFlight.push(previous);
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      }
      await Promise.all(inFlight);
    },
    async stop(graceMs) {
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && clients.some((c) => spool.lag(c.spoolName) > 0)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const client of clients) client.stop();
      await spool.close();
      await Promise.all(runs);
    },
  };
}
