import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfigSchema } from '../src/config/client.js';
import { createLogger } from '../src/logger.js';
import { newEntry } from '../src/pipeline/entry.js';
import { LokiClient } from '../src/sinks/loki/client.js';
import { resolveClient } from '../src/sinks/loki/config.js';
import { lokiClientMetrics } from '../src/sinks/loki/metrics.js';
import { lokiUnderTest, type LokiUnderTest } from './support/loki_receiver/index.js';

// Runs against a real Loki when LOKI_URL is set or `loki` is on PATH, else the receiver.
let loki: LokiUnderTest;
beforeAll(async () => {
  loki = await lokiUnderTest();
});
afterAll(() => loki.stop());

describe(`Loki client integration`, () => {
  it('lands entries per tenant, in order, readable back through the query path', async () => {
    const run = `${Date.now()}`;
    const config = clientConfigSchema.parse({
      url: loki.pushUrl,
      tenant_id: 'whodunit-a',
      batchwait: '10ms',
    });
    const client = new LokiClient({
      client: await resolveClient(config, { userAgent: 'whodunit-collector/test' }),
      metrics: lokiClientMetrics(new Registry()),
      logger: createLogger({ write: () => undefined }),
    });
    const now = BigInt(Date.now()) * 1_000_000n;
    const entries = [
      newEntry('alpha', { job: 'integration', run }, now),
      newEntry('beta', { job: 'integration', run, __tenant_id__: 'whodunit-b' }, now + 1n),
      newEntry('gamma', { job: 'integration', run }, now + 2n),
    ];
    await client.run(
      (async function* () {
        yield { entries, ack: () => undefined };
      })(),
    );
    expect(await loki.lines({ job: 'integration', run }, 'whodunit-a')).toEqual(['alpha', 'gamma']);
    expect(await loki.lines({ job: 'integration', run }, 'whodunit-b')).toEqual(['beta']);
  });
});
