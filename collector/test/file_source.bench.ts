/**
 * Tailer throughput: how fast the file source turns an existing file into acked
 * entries (no pipeline, no sink). Run: `npx tsx collector/test/file_source.bench.ts [lines]`.
 * Prints `file source: <N> lines/s, <C> cpu-s per million lines, <MB> MB/s`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger } from '../src/logger.js';
import { createFileSource } from '../src/sources/file.js';
import { Positions } from '../src/sources/positions.js';

const lines = Number(process.argv[2] ?? 500_000);
const dir = await mkdtemp(join(tmpdir(), 'tailer-bench-'));
const log = join(dir, 'app.log');
const line = (i: number) =>
  JSON.stringify({
    ts: '2024-01-02T03:04:05.678Z',
    level: i % 10 === 0 ? 'error' : 'info',
    msg: 'request completed',
    method: 'GET',
    path: `/api/v1/items/${i}`,
    status: 200,
    duration_ms: i % 997,
    user: `user-${i % 1000}`,
    padding: 'x'.repeat(40),
  });
const text = Array.from({ length: lines }, (_, i) => line(i)).join('\n') + '\n';
await writeFile(log, text);

const positions = await Positions.open({
  filename: join(dir, 'positions.yaml'),
  syncPeriodMs: 0,
  ignoreInvalidYaml: false,
  logger: silentLogger,
});
const source = createFileSource({
  targets: [{ __path__: log, job: 'bench' }],
  positions,
  logger: silentLogger,
  metrics: new Registry(),
});
const started = performance.now();
const cpu = process.cpuUsage();
let count = 0;
for await (const batch of source.batches()) {
  count += batch.entries.length;
  batch.ack();
  if (count >= lines) break;
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
await source.stop();
await rm(dir, { recursive: true, force: true });
console.log(
  `file source: ${Math.round(count / seconds)} lines/s, ${((cpuSeconds / count) * 1e6).toFixed(2)} cpu-s per million lines, ` +
    `${(text.length / 1e6 / seconds).toFixed(0)} MB/s (${count} lines of ~${Math.round(text.length / count)} bytes)`,
);
