import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfigSchema } from '../src/config/client.js';
import { createLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { startShipping } from '../src/sinks/loki/shipping.js';
import type { Batch } from '../src/sources/source.js';
import { startLokiReceiver, type LokiReceiver } from './support/loki_receiver/index.js';

let main: LokiReceiver;
let backup: LokiReceiver;
let dir: string;
beforeAll(async () => {
  [main, backup] = await Promise.all([startLokiReceiver(), startLokiReceiver()]);
  dir = await mkdtemp(join(tmpdir(), 'whodunit-shipping-'));
});
afterAll(async () => {
  await Promise.all([main.stop(), backup.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const BASE = BigInt(Date.now()) * 1_000_000n;
const numbered = (from: number, n: number): Entry[] =>
  Array.from({ length: n }, (_, i) => newEntry(`line ${from + i}`, { job: 'ship' }, BASE + BigInt(from + i)));

async function* batchesOf(groups: Entry[][], acked: number[]): AsyncGenerator<Batch> {
  for (const [i, entries] of groups.entries()) yield { entries, ack: () => acked.push(i) };
}

const start = (receivers: LokiReceiver[]) =>
  startShipping({
    clients: receivers.map((r) =>
      clientConfigSchema.parse({
        url: r.pushUrl,
        tenant_id: 'ship',
        batchwait: '20ms',
        backoff_config: { min_period: '20ms', max_period: '100ms', max_retries: 0 },
      }),
    ),
    spool: { directory: dir, fsyncIntervalMs: 5 },
    logger: createLogger({ write: () => undefined }),
    metrics: new Registry(),
  });

describe('shipping: spool + clients', () => {
  it('acks sources once spooled, fans out to every client, and after a restart delivers what a down Loki missed, exactly once', async () => {
    let shipping = await start([main, backup]);
    expect(shipping.clientNames).toEqual([new URL(main.pushUrl).host, new URL(backup.pushUrl).host]);
    await backup.down();
    const acked: number[] = [];
    await shipping.write(batchesOf([numbered(0, 50), numbered(50, 50)], acked));
    expect(acked).toEqual([0, 1]);
    await main.waitForCount(100, 'ship');
    await shipping.stop(0); // backup never caught up: its entries stay spooled

    await backup.up();
    shipping = await start([main, backup]);
    await shipping.write(batchesOf([numbered(100, 10)], []));
    await Promise.all([main.waitForCount(110, 'ship'), backup.waitForCount(110, 'ship')]);
    await shipping.stop(5_000);
    const expected = numbered(0, 110).map((e) => e.line);
    expect(main.lines({ job: 'ship' }, 'ship')).toEqual(expected);
    expect(backup.lines({ job: 'ship' }, 'ship')).toEqual(expected);
  });
});
