import { FragmentWriter, entryBound } from '../loki/push_entries.js';
import { readFragment } from '../loki/push_read.js';
import type { Entry } from '../pipeline/entry.js';
import { LabelsHasher, sameLabels } from '../pipeline/stream_key.js';
import type { Batch, FilePosition } from '../sources/source.js';
import { HEADER_BYTES } from './record.js';

/**
 * An append's entries as a record payload (binary, little-endian), returned
 * with HEADER_BYTES of room in front for sealRecord(), so it is never copied.
 * Entries are stored grouped by label set, already in Loki's protobuf form,
 * so a client builds a push by copying bytes (push_entries.ts):
 *
 *   u32 0xFFFFFFFF (format 2; a format-1 payload starts with its label-set count)
 *   u32 stream count, then per stream (distinct label set, first seen first):
 *     u32 length + labels as a JSON object (as the pipeline left them)
 *     u32 entry count | u32 longest line (UTF-8 bytes) |
 *     u32 batch bytes (lines + metadata names and values, UTF-8) | i64 newest timestamp (ns) |
 *     u32 length + fragment: the entries, in append order, as protobuf
 *       `StreamAdapter.entries` fields (timestamp, line, structured metadata)
 *   only when there are 2 or more streams: u32 entry count + per entry u32
 *     stream index, the append order across streams (decodeEntries restores it)
 *   optional, only when positions are given:
 *     u32 length + JSON array of [path, dev, ino, offset]
 *
 * `extracted` is not kept (the pipeline is done with it). Format-1 payloads
 * (label sets as JSON, entries as length-prefixed fields; no released spool
 * holds them) still decode; the Loki client sends them through its slow path.
 */
export function encodeRecordPayload(entries: readonly Entry[], positions?: readonly FilePosition[]): Buffer {
  return new RecordEncoder().encode(entries, positions);
}

/** Above this, a record is encoded in a buffer of its own rather than in the reused one. */
const MAX_SCRATCH_BYTES = 8 * 1024 * 1024;

/**
 * Encodes records through one reused buffer sized for the worst case (3 bytes
 * per UTF-16 unit): encode() returns a view into it, valid until the next
 * encode() (the spool copies it into its commit buffers). A fresh worst-case
 * buffer per append was three times the record and garbage at once.
 */
export class RecordEncoder {
  #scratch = Buffer.alloc(0);
  readonly #hasher = new LabelsHasher();

  encode(entries: readonly Entry[], positions?: readonly FilePosition[]): Buffer {
    const count = entries.length;
    // Group by label set: a hash of the pairs (no allocation per entry), then a pair-by-pair check.
    const streamOf = new Uint32Array(count);
    const sets: Record<string, string>[] = [];
    const setSizes: number[] = [];
    const byHash = new Map<number, number[]>();
    let previous: Record<string, string> | undefined;
    let bound = HEADER_BYTES + 16;
    for (let i = 0; i < count; i++) {
      const entry = entries[i]!;
      const labels = entry.labels;
      bound += entryBound(entry.line, entry.structuredMetadata);
      if (labels === previous) {
        streamOf[i] = streamOf[i - 1]!;
        continue;
      }
      previous = labels;
      const hash = this.#hasher.hash(labels);
      let candidates = byHash.get(hash);
      let found = -1;
      if (candidates) {
        for (const s of candidates) if (sameLabels(labels, sets[s]!, setSizes[s]!)) found = s;
      } else byHash.set(hash, (candidates = []));
      if (found < 0) {
        found = sets.push(labels) - 1;
        let size = 0;
        for (const _ in labels) size++;
        setSizes.push(size);
        candidates.push(found);
      }
      streamOf[i] = found;
    }
    const streams = sets.length;
    const labelsJson = sets.map((labels) => JSON.stringify(labels));
    for (const text of labelsJson) bound += 32 + text.length * 3;
    if (streams > 1) bound += 4 + 4 * count;
    const positionsText =
      positions && positions.length > 0
        ? JSON.stringify(positions.map((p) => [p.path, p.dev, p.ino, p.offset]))
        : undefined;
    if (positionsText !== undefined) bound += 4 + positionsText.length * 3;

    // Each stream's entries in append order: a linked list through the entries.
    const nextInStream = new Int32Array(count).fill(-1);
    const firstOf = new Int32Array(streams).fill(-1);
    const lastOf = new Int32Array(streams);
    for (let i = 0; i < count; i++) {
      const s = streamOf[i]!;
      if (firstOf[s] === -1) firstOf[s] = i;
      else nextInStream[lastOf[s]!] = i;
      lastOf[s] = i;
    }

    const buffer = this.#buffer(bound);
    let at = HEADER_BYTES;
    buffer.writeUInt32LE(FORMAT_2, at);
    buffer.writeUInt32LE(streams, at + 4);
    at += 8;
    const writer = new FragmentWriter(buffer, 0);
    for (let s = 0; s < streams; s++) {
      const n = buffer.write(labelsJson[s]!, at + 4, 'utf8');
      buffer.writeUInt32LE(n, at);
      const head = at + 4 + n;
      writer.at = head + 24;
      let entryCount = 0;
      let longest = 0;
      let bytes = 0;
      let newest: bigint | undefined;
      for (let i = firstOf[s]!; i !== -1; i = nextInStream[i]!) {
        const entry = entries[i]!;
        writer.entry(entry.timestamp, entry.line, entry.structuredMetadata);
        entryCount++;
        if (writer.lineBytes > longest) longest = writer.lineBytes;
        bytes += writer.lineBytes + writer.metadataBytes;
        if (newest === undefined || entry.timestamp > newest) newest = entry.timestamp;
      }
      buffer.writeUInt32LE(entryCount, head);
      buffer.writeUInt32LE(longest, head + 4);
      buffer.writeUInt32LE(bytes, head + 8);
      buffer.writeBigInt64LE(newest ?? 0n, head + 12);
      buffer.writeUInt32LE(writer.at - head - 24, head + 20);
      at = writer.at;
    }
    if (streams > 1) {
      buffer.writeUInt32LE(count, at);
      at += 4;
      for (let i = 0; i < count; i++, at += 4) buffer.writeUInt32LE(streamOf[i]!, at);
    }
    if (positionsText !== undefined) {
      const n = buffer.write(positionsText, at + 4, 'utf8');
      buffer.writeUInt32LE(n, at);
      at += 4 + n;
    }
    return buffer.subarray(0, at);
  }

  #buffer(bound: number): Buffer {
    if (bound > MAX_SCRATCH_BYTES) return Buffer.allocUnsafe(bound);
    if (this.#scratch.length < bound)
      this.#scratch = Buffer.allocUnsafe(
        Math.min(MAX_SCRATCH_BYTES, Math.max(bound, this.#scratch.length * 2)),
      );
    return this.#scratch;
  }
}

const FORMAT_2 = 0xffffffff;

/** One label set of a format-2 record, with its entries still in protobuf form. */
export interface SpooledStream {
  /** The label set as the pipeline left it, as JSON (what a client caches its routing by). */
  readonly labelsJson: string;
  readonly count: number;
  /** The longest line, in UTF-8 bytes (against max_line_size without decoding). */
  readonly longestLine: number;
  /** Lines plus metadata names and values, UTF-8 bytes (Promtail's batch size measure). */
  readonly bytes: number;
  readonly newest: bigint;
  /** The entries as `StreamAdapter.entries` fields (push_entries.ts). */
  readonly fragment: Buffer;
}

/** A batch a spool reader yields: `entries` decoded on first use, `streams` ready to send. */
export interface SpooledBatch extends Batch {
  /**
   * The record's label sets with their entries still in protobuf form, or
   * undefined for a format-1 record (use `entries`). The fragments are views
   * into the reader's read buffer: copy what you keep, then call release().
   */
  readonly streams: readonly SpooledStream[] | undefined;
  /**
   * The consumer copied what it keeps from `streams` and will not read this
   * batch again, so the reader may reuse its read buffer at once. A batch
   * not released is copied (its record only) before the buffer is reused, so
   * it stays readable for as long as it is held.
   */
  release(): void;
}

/** A record read from a segment, viewing the reader's buffer until detach() or release(). */
export class RecordBatch implements SpooledBatch {
  #payload: Buffer;
  #streams: SpooledStream[] | undefined | null = null;
  #entries: Entry[] | undefined;
  #released = false;

  constructor(
    payload: Buffer,
    readonly ack: () => void,
  ) {
    this.#payload = payload;
  }

  get streams(): readonly SpooledStream[] | undefined {
    if (this.#streams === null) this.#streams = decodeStreams(this.#payload);
    return this.#streams;
  }

  get entries(): Entry[] {
    return (this.#entries ??= decodeEntries(this.#payload));
  }

  release(): void {
    this.#released = true;
  }

  /** Called by the reader before it reuses the bytes this batch views. */
  detach(): void {
    if (this.#released) return;
    this.#payload = Buffer.from(this.#payload);
    this.#streams = null;
  }
}

/** The batch as a spooled one, if a spool reader gave it (Loki client tests feed plain batches). */
export function asSpooled(batch: Batch): SpooledBatch | undefined {
  return batch instanceof RecordBatch ? batch : undefined;
}

/** The streams of a format-2 payload (fragments are views into it), or undefined for format 1. */
export function decodeStreams(payload: Buffer): SpooledStream[] | undefined {
  if (payload.readUInt32LE(0) !== FORMAT_2) return undefined;
  return readStreams(payload).streams;
}

function readStreams(payload: Buffer): { streams: SpooledStream[]; end: number } {
  const count = payload.readUInt32LE(4);
  let at = 8;
  const streams: SpooledStream[] = new Array(count);
  for (let s = 0; s < count; s++) {
    const n = payload.readUInt32LE(at);
    const labelsJson = payload.toString('utf8', at + 4, at + 4 + n);
    at += 4 + n;
    const length = payload.readUInt32LE(at + 20);
    const fragment = payload.subarray(at + 24, at + 24 + length);
    if (fragment.length !== length) throw new Error('spool record: stream past the end');
    streams[s] = {
      labelsJson,
      count: payload.readUInt32LE(at),
      longestLine: payload.readUInt32LE(at + 4),
      bytes: payload.readUInt32LE(at + 8),
      newest: payload.readBigInt64LE(at + 12),
      fragment,
    };
    at += 24 + length;
  }
  return { streams, end: at };
}

/**
 * A record's entries as Entry objects, in append order. Entries of one label
 * set share one labels object, which consumers must not mutate (the Loki
 * client copies on change).
 */
export function decodeEntries(payload: Buffer): Entry[] {
  if (payload.readUInt32LE(0) !== FORMAT_2) return decodeFormat1(payload).entries;
  const { streams, end } = readStreams(payload);
  const perStream = streams.map(streamEntries);
  if (perStream.length <= 1) return perStream[0] ?? [];
  const count = payload.readUInt32LE(end);
  const next = new Array<number>(perStream.length).fill(0);
  const entries: Entry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = payload.readUInt32LE(end + 4 + 4 * i);
    entries[i] = perStream[s]![next[s]!++]!;
  }
  return entries;
}

/** One stream's entries as Entry objects sharing one labels object (not to be mutated). */
export function streamEntries(stream: SpooledStream): Entry[] {
  const labels = JSON.parse(stream.labelsJson) as Record<string, string>;
  return readFragment(stream.fragment).map((e): Entry => {
    const structuredMetadata: Record<string, string> = {};
    for (const pair of e.structuredMetadata) structuredMetadata[pair.name] = pair.value;
    return { timestamp: e.timestamp, line: e.line, labels, structuredMetadata, extracted: {} };
  });
}

/**
 * The file positions a record carries (none for records written without, or
 * before the field existed). Skips over the entries without decoding them, so
 * the start-up scan stays cheap.
 */
export function decodePositions(payload: Buffer): FilePosition[] {
  let at: number;
  if (payload.readUInt32LE(0) === FORMAT_2) {
    const { streams, end } = readStreams(payload);
    at = streams.length > 1 ? end + 4 + 4 * payload.readUInt32LE(end) : end;
  } else at = decodeFormat1(payload, false).end;
  if (at + 4 > payload.length) return [];
  const n = payload.readUInt32LE(at);
  const rows = JSON.parse(payload.toString('utf8', at + 4, at + 4 + n)) as [string, number, number, number][];
  return rows.map(([path, dev, ino, offset]) => ({ path, dev, ino, offset }));
}

/**
 * Format 1: u32 label-set count + per set u32 length + JSON; u32 entry count +
 * per entry u32 set index | i64 timestamp | u32 length + line | u32 length
 * (0 = none) + metadata JSON; then the optional positions.
 */
function decodeFormat1(payload: Buffer, build = true): { entries: Entry[]; end: number } {
  let at = 0;
  const setCount = payload.readUInt32LE(at);
  at += 4;
  const sets: Record<string, string>[] = [];
  for (let i = 0; i < setCount; i++) {
    const n = payload.readUInt32LE(at);
    if (build) sets.push(JSON.parse(payload.toString('utf8', at + 4, at + 4 + n)) as Record<string, string>);
    at += 4 + n;
  }
  const count = payload.readUInt32LE(at);
  at += 4;
  const entries: Entry[] = build ? new Array(count) : [];
  for (let i = 0; i < count; i++) {
    const n = payload.readUInt32LE(at + 12);
    const m = payload.readUInt32LE(at + 16 + n);
    if (build) {
      entries[i] = {
        timestamp: payload.readBigInt64LE(at + 4),
        line: payload.toString('utf8', at + 16, at + 16 + n),
        labels: sets[payload.readUInt32LE(at)]!,
        structuredMetadata:
          m === 0
            ? {}
            : (JSON.parse(payload.toString('utf8', at + 20 + n, at + 20 + n + m)) as Record<string, string>),
        extracted: {},
      };
    }
    at += 20 + n + m;
  }
  return { entries, end: at };
}
