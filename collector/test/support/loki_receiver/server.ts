import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BodyError, decodeBody } from './decode_body.js';
import { LOKI_DEFAULT_LIMITS, LOKI_DISCOVER_SERVICE_NAME, type LokiLimits } from './limits.js';
import { LabelParseError, parseLabels, type ParsedLabels } from './parse_labels.js';
import type { PushStream } from '../../../src/loki/push_proto.js';
import { ReceiverStore, type StoredStream } from './store.js';
import { groupErrors, labelsString, validateStreams } from './validate.js';

export interface LokiReceiverOptions {
  /** Overrides of Loki's default limits. */
  limits?: Partial<LokiLimits>;
  /**
   * Loki's `auth_enabled` (default true): a push without X-Scope-OrgID gets
   * 401 `no org id`. With false every push lands in tenant `fake`, header ignored.
   */
  authEnabled?: boolean;
  /** Clock for the too-old / too-new checks, ms since the epoch. */
  nowMs?: () => number;
  /**
   * Loki 3's `discover_service_name`: a stream without `service_name` gets one
   * from the first of these labels that is set, else `unknown_service` (so an
   * empty label set is accepted). Default: Loki's list; `[]` turns it off.
   */
  discoverServiceName?: readonly string[];
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. */
  tls?: { key: string; cert: string };
}

/** A scripted answer for the next pushes (the push is not stored). */
export interface InjectedFailure {
  status: number;
  body?: string;
  /** Sent as the Retry-After header (seconds, or an HTTP date). */
  retryAfter?: string;
}

/** What one push request looked like on the wire, for assertions on the client. */
export interface ReceivedRequest {
  tenant: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  responseBody: string;
}

export interface LokiReceiver {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** url + /loki/api/v1/push */
  readonly pushUrl: string;
  /** Answers the next `times` pushes with `failure` instead of storing them. */
  failNext(failure: InjectedFailure, times?: number): void;
  /** Stops listening and drops open connections: clients get connection refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Streams of a tenant (`fake` when auth is off) matching every label of `selector`. */
  streams(selector?: Record<string, string>, tenant?: string): StoredStream[];
  /** Lines of the matching streams, oldest first. */
  lines(selector?: Record<string, string>, tenant?: string): string[];
  /** Stored entries, of one tenant or all. */
  count(tenant?: string): number;
  /** Resolves once `count(tenant)` reaches `n` (no polling: woken by each push). */
  waitForCount(n: number, tenant?: string): Promise<void>;
  readonly requests: readonly ReceivedRequest[];
  stop(): Promise<void>;
}

const NO_TENANT = 'fake';

/**
 * A Loki-faithful receiver for tests: `POST /loki/api/v1/push` answered as Loki
 * 3.x answers it (pkg/distributor/http.go, pkg/loghttp/push/push.go,
 * pkg/distributor/validator.go): 204 on success; 400 with Loki's messages,
 * newline-terminated as Go's http.Error writes them; 422 for a request with no
 * streams; valid streams of a partly bad request are still stored.
 */
export async function startLokiReceiver(options: LokiReceiverOptions = {}): Promise<LokiReceiver> {
  const limits: LokiLimits = { ...LOKI_DEFAULT_LIMITS, ...options.limits };
  const authEnabled = options.authEnabled ?? true;
  const nowMs = options.nowMs ?? Date.now;
  const discover = options.discoverServiceName ?? LOKI_DISCOVER_SERVICE_NAME;
  const store = new ReceiverStore();
  const failures: InjectedFailure[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();

  const answer = (res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}) => {
    res.writeHead(status, body ? { 'content-type': 'text/plain; charset=utf-8', ...headers } : headers);
    res.end(body);
    return { status, body };
  };

  const handlePush = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const header = req.headers['x-scope-orgid'];
    const tenantHeader = Array.isArray(header) ? header[0] : header;
    if (authEnabled && !tenantHeader) return answer(res, 401, 'no org id\n');
    if (authEnabled && tenantHeader!.includes('|')) return answer(res, 400, 'multiple org IDs present\n');
    const tenant = authEnabled ? tenantHeader! : NO_TENANT;

    const failure = failures.shift();
    if (failure) {
      const headers: Record<string, string> = failure.retryAfter ? { 'retry-after': failure.retryAfter } : {};
      return answer(res, failure.status, failure.body ?? `injected ${failure.status}\n`, headers);
    }

    let request;
    try {
      request = decodeBody(req.headers, body);
    } catch (error) {
      if (error instanceof BodyError) return answer(res, 400, error.message + '\n');
      throw error;
    }
    let parsed;
    try {
      parsed = request.streams.map((raw) => nameService({ raw, labels: parseLabels(raw.labels) }, discover));
    } catch (error) {
      if (error instanceof LabelParseError)
        return answer(res, 400, `couldn't parse labels: ${error.message}\n`);
      throw error;
    }
    if (parsed.length === 0) {
      return answer(res, 422, 'error at least one valid stream is required for ingestion\n');
    }
    const { accepted, errors } = validateStreams(parsed, limits, nowMs());
    if (store.add(tenant, accepted) > 0) for (const wake of waiters) wake();
    return errors.length > 0 ? answer(res, 400, groupErrors(errors) + '\n') : answer(res, 204);
  };

  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/ready') return void answer(res, 200, 'ready\n');
      if (path !== '/loki/api/v1/push') return void answer(res, 404, '404 page not found\n');
      if (req.method !== 'POST') return void answer(res, 405, '');
      const header = req.headers['x-scope-orgid'];
      const { status, body } = handlePush(req, Buffer.concat(chunks), res);
      requests.push({
        tenant: Array.isArray(header) ? header[0] : header,
        headers: { ...req.headers },
        status,
        responseBody: body,
      });
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  server.keepAliveTimeout = 30_000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const tenantOf = (tenant?: string) => tenant ?? (authEnabled ? undefined : NO_TENANT);

  return {
    url,
    pushUrl: `${url}/loki/api/v1/push`,
    requests,
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(failure);
    },
    down: close,
    up: () => listen(port),
    streams: (selector, tenant) => store.streams(tenantOf(tenant) ?? NO_TENANT, selector),
    lines: (selector, tenant) =>
      store
        .streams(tenantOf(tenant) ?? NO_TENANT, selector)
        .flatMap((stream) => stream.entries)
        .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))
        .map((entry) => entry.line),
    count: (tenant) => store.count(tenant),
    waitForCount(n, tenant) {
      return new Promise((resolve) => {
        const check = () => {
          if (store.count(tenant) < n) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    stop: close,
  };
}

/**
 * pkg/loghttp/push ParseLokiRequest (Loki 3): adds `service_name` when missing and
 * rewrites the stream's label text, which Loki's later error messages then quote.
 */
function nameService(
  stream: { raw: PushStream; labels: ParsedLabels },
  discover: readonly string[],
): { raw: PushStream; labels: ParsedLabels } {
  if (discover.length === 0 || stream.labels.some(([name]) => name === 'service_name')) return stream;
  let service = 'unknown_service';
  for (const name of discover) {
    const value = stream.labels.find(([label]) => label === name)?.[1];
    if (value) {
      service = value;
      break;
    }
  }
  const labels: ParsedLabels = [...stream.labels, ['service_name', service]];
  labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { raw: { ...stream.raw, labels: labelsString(labels) }, labels };
}
