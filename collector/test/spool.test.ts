import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import type { Batch } from '../src/sources/source.js';
import { openSpool, type Spool } from '../src/spool/spool.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whodunit-spool-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const entries = (from: number, n: number, labels: Record<string, string> = { job: 'spool' }): Entry[] =>
  Array.from({ length: n }, (_, i) =>
    newEntry(`line ${from + i}`, labels, 1_700_000_000_000_000_000n + BigInt(from + i)),
  );

/** Reads `n` batches from a reader, returning them (acks not called). */
async function take(iterator: AsyncIterator<Batch>, n: number): Promise<Batch[]> {
  const out: Batch[] = [];
  while (out.length < n) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

const lines = (batches: Batch[]) => batches.flatMap((b) => b.entries.map((e) => e.line));
const segmentFiles = async () => (await readdir(dir)).filter((f) => f.endsWith('.seg')).sort();

describe('spool', () => {
  it('gives each client back exactly what was appended, nanosecond timestamps and metadata included', async () => {
    const spool = await openSpool(dir, { clients: ['a', 'b'] });
    const first = [newEntry('hello', { job: 'x' }, 1_700_000_000_123_456_789n, { trace_id: 't' })];
    await spool.append(first);
    await spool.append(entries(1, 3));
    for (const client of ['a', 'b']) {
      const got = await take(spool.reader(client)[Symbol.asyncIterator](), 2);
      expect(got[0]?.entries).toEqual([{ ...first[0], extracted: {} }]);
      expect(lines(got)).toEqual(['hello', 'line 1', 'line 2', 'line 3']);
    }
    await spool.close();
  });

  it('deletes a segment only once every client acknowledged past it', async () => {
    const spool = await openSpool(dir, { clients: ['a', 'b'], segmentBytes: 100 });
    for (let i = 0; i < 4; i++) await spool.append(entries(i * 5, 5));
    const before = await segmentFiles();
    expect(before.length).toBeGreaterThan(2);
    const a = await take(spool.reader('a')[Symbol.asyncIterator](), 4);
    for (const batch of a) batch.ack();
    await spool.append(entries(100, 1)); // a flush runs the deletion check
    expect(await segmentFiles()).toEqual(expect.arrayContaining(before)); // b still needs them
    const b = await take(spool.reader('b')[Symbol.asyncIterator](), 4);
    for (const batch of b) batch.ack();
    await spool.append(entries(101, 1));
    const after = await segmentFiles();
    expect(after.length).toBeLessThan(before.length);
    expect(after).not.toContain(before[0]);
    await spool.close();
  });

  it('resends after a restart what a client had not acknowledged, with the same timestamps and lines', async () => {
    let spool: Spool = await openSpool(dir, { clients: ['loki'] });
    await spool.append(entries(0, 3));
    await spool.append(entries(3, 3));
    const [first, second] = await take(spool.reader('loki')[Symbol.asyncIterator](), 2);
    first!.ack();
    await spool.close();
    spool = await openSpool(dir, { clients: ['loki'] });
    const [again] = await take(spool.reader('loki')[Symbol.asyncIterator](), 1);
    expect(again?.entries.map((e) => [e.timestamp, e.line])).toEqual(
      second!.entries.map((e) => [e.timestamp, e.line]),
    );
    await spool.close();
  });

  it('reopens cleanly after a run that died before its first write, and again after that', async () => {
    let spool = await openSpool(dir, { clients: ['loki'] });
    await spool.close(); // leaves an empty segment, as a crash right after start-up would
    spool = await openSpool(dir, { clients: ['loki'] });
    await spool.append(entries(0, 2));
    await spool.close();
    spool = await openSpool(dir, { clients: ['loki'] });
    expect(lines(await take(spool.reader('loki')[Symbol.asyncIterator](), 1))).toEqual(['line 0', 'line 1']);
    await spool.close();
  });

  it('skips and counts a corrupt record and a torn tail at start-up instead of failing', async () => {
    let spool = await openSpool(dir, { clients: ['loki'] });
    for (let i = 0; i < 3; i++) await spool.append(entries(i * 2, 2));
    await spool.close();
    const [file] = await segmentFiles();
    const path = join(dir, file!);
    const data = await readFile(path);
    const recordLength = data.length / 3;
    data[recordLength + 20] = data[recordLength + 20]! ^ 0xff; // flip a payload byte of the middle record
    await writeFile(path, data);
    await appendFile(path, data.subarray(0, 30)); // a record torn by a crash mid-write

    const registry = new Registry();
    spool = await openSpool(dir, { clients: ['loki'], metrics: registry });
    const corrupt = (await registry.getSingleMetric('whodunit_spool_corrupt_records_total')!.get()).values[0]
      ?.value;
    expect(corrupt).toBe(2);
    await spool.append(entries(100, 1));
    const got = await take(spool.reader('loki')[Symbol.asyncIterator](), 3);
    expect(lines(got)).toEqual(['line 0', 'line 1', 'line 4', 'line 5', 'line 100']);
    await spool.close();
  });

  it('makes appends wait while at max_bytes and lets them in once clients acknowledge', async () => {
    const spool = await openSpool(dir, { clients: ['loki'], maxBytes: 400, segmentBytes: 100 });
    await spool.append(entries(0, 5, { job: 'full' })); // ~170 bytes
    await spool.append(entries(5, 5, { job: 'full' }));
    let thirdDone = false;
    const third = spool.append(entries(10, 5, { job: 'full' })).then(() => (thirdDone = true));
    expect(spool.full).toBe(true);
    const reader = spool.reader('loki')[Symbol.asyncIterator]();
    const [a, b] = await take(reader, 2);
    expect(thirdDone).toBe(false);
    a!.ack();
    b!.ack();
    await third;
    expect(lines(await take(reader, 1))).toEqual(entries(10, 5).map((e) => e.line));
    expect(spool.full).toBe(false);
    await spool.close();
  });

  it('loses no resolved append when the process is killed with SIGKILL', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'support/spool/append_until_killed.ts'), dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let durable = -1;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const numbers = chunk.toString().trim().split('\n').map(Number);
        durable = Math.max(durable, ...numbers);
        if (durable >= 30 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const spool = await openSpool(dir, { clients: ['loki'] });
    const reader = spool.reader('loki')[Symbol.asyncIterator]();
    const seen = new Set<string>();
    for (;;) {
      const [batch] = await take(reader, 1);
      for (const e of batch!.entries) seen.add(e.line);
      if (seen.size >= (durable + 1) * 10) break;
    }
    for (let i = 0; i < (durable + 1) * 10; i++) expect(seen.has(`line ${i}`)).toBe(true);
    await spool.close();
  });
});
