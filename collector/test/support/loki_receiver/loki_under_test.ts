import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, MissingBinaryError, startProcess, waitForHttpOk } from '@whodunit/testkit';
import { startLokiReceiver, type LokiReceiver } from './server.js';

/**
 * The Loki the integration tests push to, chosen once: `LOKI_URL` (a running
 * multi-tenant Loki), else a `loki` binary on PATH started here, else the
 * Loki-faithful receiver. Queries go through Loki's query_range API on a real
 * Loki, so the same test reads the same way against either.
 */
export interface LokiUnderTest {
  readonly kind: 'receiver' | 'loki';
  readonly pushUrl: string;
  /** Lines of the streams matching `selector` for `tenant`, oldest first. */
  lines(selector: Record<string, string>, tenant: string): Promise<string[]>;
  /** The receiver itself when kind is 'receiver' (fault injection); undefined for a real Loki. */
  readonly receiver: LokiReceiver | undefined;
  stop(): Promise<void>;
}

export async function lokiUnderTest(): Promise<LokiUnderTest> {
  const given = process.env.LOKI_URL;
  if (given) return realLoki(given.replace(/\/$/, ''), async () => {});
  const binary = lokiBinary();
  if (binary) return startRealLoki(binary);
  const receiver = await startLokiReceiver();
  return {
    kind: 'receiver',
    pushUrl: receiver.pushUrl,
    receiver,
    lines: async (selector, tenant) => receiver.lines(selector, tenant),
    stop: () => receiver.stop(),
  };
}

function lokiBinary(): string | undefined {
  try {
    return findBinary(['loki'], 'loki');
  } catch (error) {
    if (error instanceof MissingBinaryError) return undefined;
    throw error;
  }
}

function realLoki(url: string, stop: () => Promise<void>): LokiUnderTest {
  return {
    kind: 'loki',
    pushUrl: `${url}/loki/api/v1/push`,
    receiver: undefined,
    lines: (selector, tenant) => queryLines(url, selector, tenant),
    stop,
  };
}

const PAGE = 5000;

/** All lines of a selector over the last day, paging forward through query_range. */
async function queryLines(url: string, selector: Record<string, string>, tenant: string): Promise<string[]> {
  const query =
    '{' +
    Object.entries(selector)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ') +
    '}';
  const end = BigInt(Date.now() + 60_000) * 1_000_000n;
  let start = end - 86_400_000_000_000n;
  const lines: string[] = [];
  for (;;) {
    const params = new URLSearchParams({
      query,
      start: String(start),
      end: String(end),
      limit: String(PAGE),
      direction: 'forward',
    });
    const response = await fetch(`${url}/loki/api/v1/query_range?${params}`, {
      headers: { 'X-Scope-OrgID': tenant },
    });
    if (!response.ok) throw new Error(`query_range ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { data: { result: { values: [string, string][] }[] } };
    const page = body.data.result
      .flatMap((stream) => stream.values)
      .sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
    lines.push(...page.map(([, line]) => line));
    if (page.length < PAGE) return lines;
    start = BigInt(page[page.length - 1]![0]) + 1n;
  }
}

async function startRealLoki(binary: string): Promise<LokiUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'whodunit-loki-'));
  const [http, grpc] = [await freePort(), await freePort()];
  const config = `auth_enabled: true
server: { http_listen_address: 127.0.0.1, http_listen_port: ${http}, grpc_listen_address: 127.0.0.1, grpc_listen_port: ${grpc}, log_level: warn }
common:
  path_prefix: ${dir}
  replication_factor: 1
  ring: { instance_addr: 127.0.0.1, kvstore: { store: inmemory } }
  storage: { filesystem: { chunks_directory: ${dir}/chunks, rules_directory: ${dir}/rules } }
schema_config:
  configs: [ { from: 2020-01-01, store: tsdb, object_store: filesystem, schema: v13, index: { prefix: index_, period: 24h } } ]
analytics: { reporting_enabled: false }
`;
  await writeFile(join(dir, 'loki.yaml'), config);
  const proc = startProcess(
    'loki',
    binary,
    [`-config.file=${join(dir, 'loki.yaml')}`],
    join(dir, 'loki.log'),
  );
  const url = `http://127.0.0.1:${http}`;
  await waitForHttpOk(`${url}/ready`, proc, 60_000);
  return realLoki(url, async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  });
}
