import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newEntry, type Entry } from '../src/pipeline/entry.js';
import type { Batch } from '../src/sources/source.js';
import { assemblePushRequest } from '../src/loki/push_entries.js';
import { asSpooled, decodeEntries } from '../src/spool/codec.js';
import { openSpool, type Spool } from '../src/spool/spool.js';
import { referenceDecodePushRequest } from './support/push_proto_reference.js';

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
    const second = data.indexOf('WDS1', 1); // the middle record's magic
    data[second + 20] = data[second + 20]! ^ 0xff; // flip a payload byte of it
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

describe('spool records in protobuf form', () => {
  /** Entries over three label sets, interleaved, with metadata, non-ASCII lines and odd timestamps. */
  const mixed = (): Entry[] => [
    newEntry('héllo wörld ✓', { job: 'a', level: 'info' }, 1_700_000_000_000_000_001n),
    newEntry('second', { job: 'b' }, 1_700_000_000_000_000_000n, { trace_id: 't-1', user: 'ünï' }),
    newEntry('😀 emoji and \n escapes', { level: 'info', job: 'a' }, 5n), // same set, other key order
    newEntry('', { job: 'c' }, -1_500_000_000n), // empty line, before 1970
    newEntry('x'.repeat(300), { job: 'b' }, 1_700_000_000_999_999_999n),
  ];
  const plain = (list: Entry[]) =>
    list.map((e) => ({ ts: e.timestamp, line: e.line, labels: { ...e.labels }, md: e.structuredMetadata }));

  it('replays the same entries in append order after a restart, across label sets', async () => {
    const appended = mixed();
    let spool = await openSpool(dir, { clients: ['loki'] });
    await spool.append(appended);
    await spool.close();
    spool = await openSpool(dir, { clients: ['loki'] });
    const [batch] = await take(spool.reader('loki')[Symbol.asyncIterator](), 1);
    expect(plain(batch!.entries)).toEqual(plain(appended));
    await spool.close();
  });

  it("holds each label set's entries as protobuf that Loki's decoder reads back unchanged", async () => {
    const spool = await openSpool(dir, { clients: ['loki'] });
    await spool.append(mixed());
    const [batch] = await take(spool.reader('loki')[Symbol.asyncIterator](), 1);
    const streams = asSpooled(batch!)!.streams!;
    expect(streams.map((s) => [JSON.parse(s.labelsJson) as unknown, s.count])).toEqual([
      [{ job: 'a', level: 'info' }, 2],
      [{ job: 'b' }, 2],
      [{ job: 'c' }, 1],
    ]);
    expect(streams[1]!.longestLine).toBe(300);
    expect(streams[1]!.bytes).toBe(
      6 + 'trace_id'.length + 't-1'.length + 'user'.length + 'ünï'.length + 2 + 300,
    );
    const request = referenceDecodePushRequest(
      assemblePushRequest(streams.map((s) => ({ labels: s.labelsJson, chunks: [s.fragment] }))),
    );
    const decoded = request.streams.flatMap((s) =>
      s.entries.map((e) => ({
        ts: e.timestamp,
        line: e.line,
        labels: JSON.parse(s.labels) as Record<string, string>,
        md: Object.fromEntries(e.structuredMetadata.map((p) => [p.name, p.value])),
      })),
    );
    const byStream = plain(mixed()).sort((x, y) => (x.labels.job! < y.labels.job! ? -1 : 1));
    expect(decoded.map((d) => [d.ts, d.line, d.md])).toEqual(byStream.map((d) => [d.ts, d.line, d.md]));
    await spool.close();
  });

  it('keeps a batch readable after later ones reuse the read buffer', async () => {
    const spool = await openSpool(dir, { clients: ['loki'] });
    const big = (from: number) =>
      Array.from({ length: 2000 }, (_, i) =>
        newEntry(`${from + i} ${'y'.repeat(300)}`, { job: 'big' }, BigInt(from + i)),
      );
    for (let i = 0; i < 4; i++) await spool.append(big(i * 2000)); // ~600 KB each: several 1 MiB reads
    const batches = await take(spool.reader('loki')[Symbol.asyncIterator](), 4);
    expect(batches.map((b) => b.entries[0]!.line.split(' ')[0])).toEqual(['0', '2000', '4000', '6000']);
    expect(batches.map((b) => b.entries.length)).toEqual([2000, 2000, 2000, 2000]);
    await spool.close();
  });

  it('still reads records of the first layout (label sets as JSON, entries as fields)', () => {
    // u32 set count, set JSON; u32 entry count; set index, i64 ts, line, metadata JSON
    const set = Buffer.from('{"job":"old"}');
    const line = Buffer.from('from before');
    const md = Buffer.from('{"k":"v"}');
    const payload = Buffer.alloc(4 + 4 + set.length + 4 + 4 + 8 + 4 + line.length + 4 + md.length);
    let at = payload.writeUInt32LE(1, 0);
    at = payload.writeUInt32LE(set.length, at);
    at += set.copy(payload, at);
    at = payload.writeUInt32LE(1, at);
    at = payload.writeUInt32LE(0, at);
    at = payload.writeBigInt64LE(42n, at);
    at = payload.writeUInt32LE(line.length, at);
    at += line.copy(payload, at);
    at = payload.writeUInt32LE(md.length, at);
    md.copy(payload, at);
    expect(decodeEntries(payload)).toEqual([
      {
        timestamp: 42n,
        line: 'from before',
        labels: { job: 'old' },
        structuredMetadata: { k: 'v' },
        extracted: {},
      },
    ]);
  });
});
