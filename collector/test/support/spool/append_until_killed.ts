// Child process for spool.test.ts: appends numbered entries forever and prints
// each number once its append has resolved (durable), until SIGKILLed.
import { openSpool } from '../../../src/spool/spool.js';

const dir = process.argv[2]!;
const spool = await openSpool(dir, { clients: ['loki'], fsyncIntervalMs: 2, segmentBytes: 64 * 1024 });
for (let i = 0; ; i++) {
  const entries = Array.from({ length: 10 }, (_, j) => ({
    timestamp: BigInt(i * 10 + j),
    line: `line ${i * 10 + j}`,
    labels: { job: 'kill' },
    structuredMetadata: {},
    extracted: {},
  }));
  await spool.append(entries);
  process.stdout.write(`${i}\n`);
}
