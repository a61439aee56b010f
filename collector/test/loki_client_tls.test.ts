import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfigSchema } from '../src/config/client.js';
import { createLogger } from '../src/logger.js';
import { newEntry } from '../src/pipeline/entry.js';
import { LokiClient } from '../src/sinks/loki/client.js';
import { resolveClient } from '../src/sinks/loki/config.js';
import { lokiClientMetrics } from '../src/sinks/loki/metrics.js';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

let dir: string;
let loki: LokiReceiver;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whodunit-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=loki.test',
      '-addext',
      'subjectAltName=DNS:loki.test',
    ],
    { stdio: 'ignore' },
  );
  await writeFile(join(dir, 'token'), 'file-token\n');
  loki = await startLokiReceiver({
    tls: {
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    },
  });
});
afterAll(async () => {
  await loki.stop();
  await rm(dir, { recursive: true, force: true });
});

async function push(raw: Record<string, unknown>, tenant: string): Promise<Registry> {
  const registry = new Registry();
  const config = clientConfigSchema.parse({
    url: loki.pushUrl,
    tenant_id: tenant,
    batchwait: '10ms',
    backoff_config: { min_period: '10ms', max_retries: 1 },
    ...raw,
  });
  const client = new LokiClient({
    client: await resolveClient(config, { userAgent: 'whodunit-collector/test' }),
    metrics: lokiClientMetrics(registry),
    logger: createLogger({ write: () => undefined }),
    sleep: async () => undefined,
  });
  await client.run(
    (async function* () {
      yield {
        entries: [newEntry('secure', { job: 'tls' }, BigInt(Date.now()) * 1_000_000n)],
        ack: () => undefined,
      };
    })(),
  );
  return registry;
}

describe('Loki client over TLS', () => {
  it('verifies the server against tls_config.ca_file and server_name, with a bearer_token_file', async () => {
    await push(
      {
        tls_config: { ca_file: join(dir, 'cert.pem'), server_name: 'loki.test' },
        bearer_token_file: join(dir, 'token'),
      },
      'tls-a',
    );
    expect(loki.lines({ job: 'tls' }, 'tls-a')).toEqual(['secure']);
    expect(loki.requests.find((r) => r.tenant === 'tls-a')?.headers.authorization).toBe('Bearer file-token');
  });

  it('refuses an unknown certificate (retried, then dropped) unless insecure_skip_verify', async () => {
    const registry = await push({}, 'tls-b');
    const dropped = (await registry.getSingleMetric('promtail_dropped_entries_total')!.get()).values;
    expect(dropped.map((v) => [v.labels.reason, v.value])).toEqual([['max_retries', 1]]);
    expect(loki.count('tls-b')).toBe(0);
    await push({ tls_config: { insecure_skip_verify: true } }, 'tls-c');
    expect(loki.lines({ job: 'tls' }, 'tls-c')).toEqual(['secure']);
  });
});
