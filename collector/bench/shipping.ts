/**
 * `npm run bench:shipping -w collector`: the shipping half on its own.
 *   1. Loki client: 200,000 entries (~220-byte JSON lines, 2 labels) through
 *      sanitise + batch + protobuf + snappy + HTTP, into a null HTTP server
 *      (client cost alone) and into the Loki-faithful receiver (which decodes,
 *      validates and stores them): lines/s and cpu per line.
 *   2. Spool: appends of 500 entries, group-committed with fdatasync: MB/s.
 *   3. The client reading those records back from the spool (as the collector
 *      runs it: protobuf sent as stored) into the null server.
 * Prints figures only; nothing here is a test.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { clientConfigSchema } from '../src/config/client.js';
import { createLogger } from '../src/logger.js';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import { LokiClient } from '../src/sinks/loki/client.js';
import { resolveClient } from '../src/sinks/loki/config.js';
import { lokiClientMetrics } from '../src/sinks/loki/metrics.js';
import type { Batch } from '../src/sources/source.js';
import { openSpool } from '../src/spool/spool.js';
import { startLokiReceiver } from '../test/support/loki_receiver/index.js';

const TOTAL = 200_000;
const CHUNK = 500;
const base = BigInt(Date.now()) * 1_000_000n;
const entry = (i: number): Entry =>
  newEntry(
    JSON.stringify({
      ts: new Date().toISOString(),
      level: i % 10 === 0 ? 'error' : 'info',
      msg: 'request served',
      path: `/api/v1/users/${i % 1000}`,
      status: 200,
      duration_ms: i % 997,
      user: `user-${i % 97}`,
      id: i,
    }),
    { job: 'bench', level: i % 10 === 0 ? 'error' : 'info' },
    base + BigInt(i),
  );
const chunks: Entry[][] = [];
for (let i = 0; i < TOTAL; i += CHUNK) chunks.push(Array.from({ length: CHUNK }, (_, j) => entry(i + j)));
const bytes = chunks.flat().reduce((sum, e) => sum + e.line.length, 0);

async function* feed(): AsyncGenerator<Batch> {
  for (const entries of chunks) yield { entries, ack: () => undefined };
}

async function measure(
  url: string,
  until: () => Promise<void>,
  input: () => AsyncIterable<Batch> = feed,
): Promise<[number, number]> {
  const config = clientConfigSchema.parse({ url, tenant_id: 'bench' });
  const client = new LokiClient({
    client: await resolveClient(config, { userAgent: 'whodunit-collector/bench' }),
    metrics: lokiClientMetrics(new Registry()),
    logger: createLogger({ write: () => undefined }),
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  await client.run(input());
  await until();
  const used = process.cpuUsage(cpu);
  return [(performance.now() - started) / 1000, (used.user + used.system) / 1e6];
}

const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
let [seconds, cpu] = await measure(
  `http://127.0.0.1:${(sink.address() as AddressInfo).port}/loki/api/v1/push`,
  async () => {},
);
sink.close();
console.log(
  `client -> null HTTP server: ${Math.round(TOTAL / seconds)} lines/s (${(bytes / 1e6 / seconds).toFixed(1)} MB/s of lines), ` +
    `${(cpu / (TOTAL / 1e6)).toFixed(1)} cpu-s per million lines`,
);

const receiver = await startLokiReceiver();
[seconds, cpu] = await measure(receiver.pushUrl, () => receiver.waitForCount(TOTAL, 'bench'));
await receiver.stop();
console.log(
  `client -> Loki-faithful receiver: ${Math.round(TOTAL / seconds)} lines/s, ` +
    `${(cpu / (TOTAL / 1e6)).toFixed(1)} cpu-s per million lines incl. the receiver`,
);

const dir = await mkdtemp(join(tmpdir(), 'whodunit-bench-spool-'));
const spool = await openSpool(dir, { clients: ['bench'] });
const started = performance.now();
await Promise.all(chunks.map((entries) => spool.append(entries)));
seconds = (performance.now() - started) / 1000;
const spooled = spool.lag('bench');
console.log(
  `spool: ${(spooled / 1e6 / seconds).toFixed(1)} MB/s appended with fdatasync (${Math.round(TOTAL / seconds)} entries/s, ${(spooled / 1e6).toFixed(0)} MB)`,
);

// 3. What the collector runs: the client reading those records from the spool,
//    sending their protobuf as stored (no decoding), into the null server.
const nullServer = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
await new Promise<void>((resolve) => nullServer.listen(0, '127.0.0.1', resolve));
const reader = spool.reader('bench')[Symbol.asyncIterator]();
async function* fromSpool(): AsyncGenerator<Batch> {
  for (let i = 0; i < chunks.length; i++) yield (await reader.next()).value!;
}
[seconds, cpu] = await measure(
  `http://127.0.0.1:${(nullServer.address() as AddressInfo).port}/loki/api/v1/push`,
  async () => {},
  fromSpool,
);
nullServer.close();
await spool.close();
await rm(dir, { recursive: true, force: true });
console.log(
  `spool reader -> client -> null HTTP server: ${Math.round(TOTAL / seconds)} lines/s, ` +
    `${(cpu / (TOTAL / 1e6)).toFixed(1)} cpu-s per million lines`,
);
