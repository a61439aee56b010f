import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { newEntry, type Entry } from '../pipeline/entry.js';
import { systemClock, type Clock } from '../pipeline/stage.js';
import { EntryQueue } from './entry_queue.js';
import { decodePushBody, PushDecodeError, type DecodedStream } from './loki_push_decode.js';
import type { LokiPushConfig } from './loki_push_config.js';
import { registeredMetric } from './registered_metric.js';
import { relabel, type RelabelConfig } from './relabel.js';
import type { Source } from './source.js';

export interface LokiPushSourceOptions {
  config: LokiPushConfig;
  relabelConfigs?: readonly RelabelConfig[];
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  /** Entries waiting for the consumer; while full, pushes get 429. Default 10,000. */
  queueCapacity?: number;
  maxBatchLines?: number;
  /** Largest body accepted, before and after decompression. Default 64 MiB. */
  maxBodyBytes?: number;
}

export interface LokiPushSource extends Source {
  readonly address: AddressInfo;
}

export async function createLokiPushSource(options: LokiPushSourceOptions): Promise<LokiPushSource> {
  const receiver = new LokiPushReceiver(options);
  await receiver.listen();
  return receiver;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

class LokiPushReceiver implements LokiPushSource {
  readonly kind = 'loki_push';
  address!: AddressInfo;
  private readonly queue: EntryQueue;
  private readonly server: Server;
  private readonly clock: Clock;
  private readonly maxBodyBytes: number;
  private readonly entriesTotal: Counter;
  private readonly dropped: Counter<'reason'>;
  private lastTs = 0n;

  constructor(private readonly options: LokiPushSourceOptions) {
    this.queue = new EntryQueue(options.queueCapacity ?? 10_000, options.maxBatchLines ?? 1000);
    this.clock = options.clock ?? systemClock;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 << 20;
    const registry = options.metrics;
    this.entriesTotal = registeredMetric(
      registry,
      'whodunit_loki_push_entries_total',
      () =>
        new Counter({
          name: 'whodunit_loki_push_entries_total',
          help: 'Entries received on the Loki push API.',
          registers: [registry],
        }),
    );
    this.dropped = registeredMetric(
      registry,
      'whodunit_loki_push_dropped_entries_total',
      () =>
        new Counter({
          name: 'whodunit_loki_push_dropped_entries_total',
          help: 'Pushed entries not taken, by reason (relabel, bad_labels, bad_request, queue_full).',
          labelNames: ['reason'],
          registers: [registry],
        }),
    );
    this.server = createServer((req, res) => void this.route(req, res));
  }

  batches() {
    return this.queue.batches();
  }

  async listen(): Promise<void> {
    const { http_listen_address: host, http_listen_port: port } = this.options.config.server;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
    this.options.logger.info('starting push server', {
      address: `${this.address.address}:${this.address.port}`,
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.queue.close();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/ready' && req.method === 'GET') return reply(res, 200, 'ready');
      if (path !== '/loki/api/v1/push' && path !== '/promtail/api/v1/raw')
        throw new HttpError(404, '404 page not found');
      if (req.method !== 'POST') throw new HttpError(405, 'method not allowed');
      if (this.queue.full) {
        this.dropped.inc({ reason: 'queue_full' });
        res.setHeader('Retry-After', '1');
        throw new HttpError(429, 'the collector is busy: its queue is full, retry later');
      }
      const body = await readBody(req, this.maxBodyBytes);
      if (path === '/promtail/api/v1/raw') this.takeRaw(body);
      else this.takePush(body, req.headers['content-type'], req.headers['content-encoding']);
      res.writeHead(204).end();
    } catch (err) {
      if (err instanceof HttpError) return reply(res, err.status, err.message);
      if (err instanceof PushDecodeError) {
        this.dropped.inc({ reason: 'bad_request' });
        this.options.logger.warn('failed to parse incoming push request', { error: err.message });
        return reply(res, 400, err.message);
      }
      this.options.logger.error('push request failed', { error: err });
      return reply(res, 500, 'internal error');
    }
  }

  private takePush(body: Buffer, contentType: string | undefined, contentEncoding: string | undefined): void {
    const request = decodePushBody(body, contentType, contentEncoding, this.maxBodyBytes);
    let lastError: string | undefined;
    const entries: Entry[] = [];
    for (const stream of request.streams) {
      if (stream.labelError) {
        lastError = stream.labelError;
        this.dropped.inc({ reason: 'bad_labels' }, stream.entries.length);
        continue;
      }
      const labels = this.streamLabels(stream);
      if (!labels) {
        this.dropped.inc({ reason: 'relabel' }, stream.entries.length);
        continue;
      }
      for (const e of stream.entries) {
        const metadata: Record<string, string> = {};
        for (const pair of e.structuredMetadata) metadata[pair.name] = pair.value;
        const ts = this.options.config.use_incoming_timestamp ? e.timestamp : this.receiveTime();
        entries.push(newEntry(e.line, labels, ts, metadata));
      }
    }
    this.queue.push(entries);
    this.entriesTotal.inc(entries.length);
    if (lastError !== undefined) {
      this.options.logger.warn('at least one stream in the push request failed to process', {
        error: lastError,
      });
      throw new HttpError(400, lastError);
    }
  }

  /** The stream's labels with ours on top, relabelled, `__` labels removed; undefined: dropped. */
  private streamLabels(stream: DecodedStream): Record<string, string> | undefined {
    const merged = { ...stream.labels, ...this.options.config.labels };
    const processed = relabel(merged, this.options.relabelConfigs ?? []);
    if (!processed || Object.keys(processed).length === 0) return undefined;
    for (const name of Object.keys(processed)) if (name.startsWith('__')) delete processed[name];
    return processed;
  }

  private takeRaw(body: Buffer): void {
    const entries: Entry[] = [];
    for (const raw of body.toString('utf8').split('\n')) {
      const line = raw.replace(/[\r\n]+$/, '');
      if (line === '') continue;
      entries.push(newEntry(line, this.options.config.labels, this.receiveTime()));
    }
    this.queue.push(entries);
    this.entriesTotal.inc(entries.length);
  }

  private receiveTime(): bigint {
    const now = this.clock.now();
    this.lastTs = now > this.lastTs ? now : this.lastTs + 1n;
    return this.lastTs;
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text + '\n');
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject(
        new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`),
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(new HttpError(413, `request body exceeds the limit of ${limit} bytes`));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
