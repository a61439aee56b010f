import { readFile } from 'node:fs/promises';
import type { AgentOptions } from 'node:https';
import type { ClientConfig } from '../../config/client.js';
import type { BackoffConfig } from './backoff.js';

/** How a client puts entries on the wire. `json` is for debugging with curl-able bodies. */
export type PushEncoding = 'protobuf' | 'json';

/**
 * Entry fixes applied before batching so one bad entry never makes Loki
 * reject a whole batch (see sanitize.ts). Defaults are Loki 3's limits.
 */
export interface EntryLimits {
  /** Loki's max_line_size in bytes (256KB); 0 = no limit. */
  maxLineSize: number;
  /** true: cut longer lines to the limit (default); false: drop and count them. */
  truncateLongLines: boolean;
  maxLabelNamesPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
}

export const DEFAULT_ENTRY_LIMITS: Readonly<EntryLimits> = {
  maxLineSize: 256 * 1024,
  truncateLongLines: true,
  maxLabelNamesPerSeries: 15,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
};

/** A client ready to run: every file read, every default applied, nothing looked up later. */
export interface ResolvedClient {
  /** Metrics/log name: the URL's host, made unique among clients by the caller. */
  name: string;
  url: URL;
  tenantId: string | undefined;
  batchWaitMs: number;
  batchSizeBytes: number;
  timeoutMs: number;
  backoff: BackoffConfig;
  externalLabels: Record<string, string>;
  /** Authorization and custom headers; tenant and content type are added per request. */
  headers: Record<string, string>;
  tls: AgentOptions;
  dropRateLimitedBatches: boolean;
  encoding: PushEncoding;
  limits: EntryLimits;
}

export interface ResolveOptions {
  encoding?: PushEncoding;
  limits?: Partial<EntryLimits>;
  /** `User-Agent`, e.g. `whodunit-collector/0.1.0`. */
  userAgent: string;
}

const trimmedFile = async (path: string) => (await readFile(path, 'utf8')).trim();

/**
 * Turns one validated `clients[]` entry into a ResolvedClient. Credential and
 * certificate files are read here, once, as Prometheus' HTTP client reads them
 * at start-up; a missing file is a start-up error naming the key.
 */
export async function resolveClient(config: ClientConfig, options: ResolveOptions): Promise<ResolvedClient> {
  const url = new URL(config.url.reveal());
  const headers: Record<string, string> = { ...config.headers, 'user-agent': options.userAgent };

  const read = async (key: string, path: string) => {
    try {
      return await trimmedFile(path);
    } catch (error) {
      throw new Error(
        `clients: ${key}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error },
      );
    }
  };

  if (config.basic_auth) {
    const auth = config.basic_auth;
    const username = auth.username_file
      ? await read('basic_auth.username_file', auth.username_file)
      : (auth.username ?? '');
    const password = auth.password_file
      ? await read('basic_auth.password_file', auth.password_file)
      : (auth.password?.reveal() ?? '');
    headers.authorization = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
  } else if (url.username || url.password) {
    headers.authorization =
      'Basic ' +
      Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString(
        'base64',
      );
  }
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
  }
  if (config.bearer_token) headers.authorization = `Bearer ${config.bearer_token.reveal()}`;
  if (config.bearer_token_file)
    headers.authorization = `Bearer ${await read('bearer_token_file', config.bearer_token_file)}`;
  if (config.authorization) {
    const { type, credentials, credentials_file } = config.authorization;
    const secret = credentials_file
      ? await read('authorization.credentials_file', credentials_file)
      : credentials?.reveal();
    if (secret !== undefined) headers.authorization = `${type} ${secret}`;
  }

  const tls: AgentOptions = {};
  const t = config.tls_config;
  if (t) {
    if (t.ca_file) tls.ca = await read('tls_config.ca_file', t.ca_file);
    else if (t.ca) tls.ca = t.ca;
    if (t.cert_file) tls.cert = await read('tls_config.cert_file', t.cert_file);
    else if (t.cert) tls.cert = t.cert;
    if (t.key_file) tls.key = await read('tls_config.key_file', t.key_file);
    else if (t.key) tls.key = t.key.reveal();
    if (t.server_name) tls.servername = t.server_name;
    tls.rejectUnauthorized = !t.insecure_skip_verify;
  }

  return {
    name: url.host,
    url,
    tenantId: config.tenant_id,
    batchWaitMs: config.batchwait ?? 1000,
    batchSizeBytes: config.batchsize,
    timeoutMs: config.timeout ?? 10_000,
    backoff: {
      minPeriodMs: config.backoff_config.min_period ?? 500,
      maxPeriodMs: config.backoff_config.max_period ?? 300_000,
      maxRetries: config.backoff_config.max_retries,
    },
    externalLabels: config.external_labels,
    headers,
    tls,
    dropRateLimitedBatches: config.drop_rate_limited_batches,
    encoding: options.encoding ?? 'protobuf',
    limits: { ...DEFAULT_ENTRY_LIMITS, ...options.limits },
  };
}
