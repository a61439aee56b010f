import type { LabelPair } from './push_entries.js';

/**
 * Reading Loki push protobuf by hand (the inverse of push_entries.ts): spool
 * fragments for the clients' slow path and the spool's decodeEntries, and
 * whole PushRequests for the push receiver (push_proto.ts). Malformed bytes
 * throw; unknown fields are skipped, as protobuf decoders do.
 */

const NS_PER_S = 1_000_000_000n;

class ProtoReader {
  constructor(
    readonly buf: Buffer,
    public at: number,
    readonly end: number,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    const start = this.at;
    for (let k = 0; k < 7; k++) {
      if (this.at >= this.end) throw new Error('protobuf: truncated varint');
      const byte = this.buf[this.at++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    // Past 2^49 (in practice a negative int64): redo it exactly.
    this.at = start;
    return this.bigVarint();
  }

  bigVarint(): number {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.at >= this.end) throw new Error('protobuf: truncated varint');
      const byte = this.buf[this.at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, value));
    }
    throw new Error('protobuf: varint too long');
  }

  /** The end of the length-delimited field whose tag was just read. */
  span(): number {
    const length = this.varint();
    const end = this.at + length;
    if (end > this.end) throw new Error('protobuf: field past the end of its message');
    return end;
  }

  string(): string {
    const end = this.span();
    const text = this.buf.toString('utf8', this.at, end);
    this.at = end;
    return text;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.at = this.span();
    else if (wireType === 1 || wireType === 5) {
      this.at += wireType === 1 ? 8 : 4;
      if (this.at > this.end) throw new Error('protobuf: field past the end of its message');
    } else throw new Error(`protobuf: illegal wire type ${wireType}`);
  }
}

/** An entry read back. */
export interface ReadEntry {
  timestamp: bigint;
  line: string;
  structuredMetadata: LabelPair[];
  /** UTF-8 bytes of the line plus metadata names and values (Promtail's batch size measure). */
  bytes: number;
}

/** An EntryAdapter message in `buf` between `at` and `end`. */
function readEntryMessage(buf: Buffer, at: number, end: number): ReadEntry {
  const r = new ProtoReader(buf, at, end);
  let seconds = 0;
  let nanos = 0;
  let line = '';
  let bytes = 0;
  const structuredMetadata: LabelPair[] = [];
  while (r.at < end) {
    const tag = r.varint();
    if (tag === 0x0a) {
      const tsEnd = r.span();
      const t = new ProtoReader(buf, r.at, tsEnd);
      while (t.at < tsEnd) {
        const field = t.varint();
        if (field === 0x08) seconds = t.varint();
        else if (field === 0x10) nanos = t.varint();
        else t.skip(field & 7);
      }
      r.at = tsEnd;
    } else if (tag === 0x12) {
      const lineEnd = r.span();
      bytes += lineEnd - r.at;
      line = buf.toString('utf8', r.at, lineEnd);
      r.at = lineEnd;
    } else if (tag === 0x1a) {
      const pairEnd = r.span();
      const p = new ProtoReader(buf, r.at, pairEnd);
      const pair: LabelPair = { name: '', value: '' };
      while (p.at < pairEnd) {
        const field = p.varint();
        if (field === 0x0a) pair.name = p.string();
        else if (field === 0x12) pair.value = p.string();
        else p.skip(field & 7);
      }
      bytes += Buffer.byteLength(pair.name, 'utf8') + Buffer.byteLength(pair.value, 'utf8');
      structuredMetadata.push(pair);
      r.at = pairEnd;
    } else r.skip(tag & 7);
  }
  // Timestamp wants nanos in [0, 1e9); protobufjs would not mind others either.
  return { timestamp: BigInt(seconds) * NS_PER_S + BigInt(nanos), line, structuredMetadata, bytes };
}

/** The entry of a fragment (push_entries.ts) that starts at `at`, and where the next one starts. */
export function readFragmentEntry(fragment: Buffer, at: number): ReadEntry & { end: number } {
  const r = new ProtoReader(fragment, at, fragment.length);
  if (r.varint() !== 0x12) throw new Error('push fragment: not an entry');
  const end = r.span();
  return { ...readEntryMessage(fragment, r.at, end), end };
}

/** Every entry of a fragment, in order. */
export function readFragment(fragment: Buffer): ReadEntry[] {
  const entries: ReadEntry[] = [];
  for (let at = 0; at < fragment.length;) {
    const entry = readFragmentEntry(fragment, at);
    at = entry.end;
    entries.push(entry);
  }
  return entries;
}

/** A PushRequest's streams: labels text and entries, in wire order. */
export function readPushRequest(
  bytes: Uint8Array,
): { labels: string; entries: { timestamp: bigint; line: string; structuredMetadata: LabelPair[] }[] }[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new ProtoReader(buf, 0, buf.length);
  const streams = [];
  while (r.at < buf.length) {
    const tag = r.varint();
    if (tag !== 0x0a) {
      r.skip(tag & 7); // PushRequest.format = 2, or unknown
      continue;
    }
    const streamEnd = r.span();
    const s = new ProtoReader(buf, r.at, streamEnd);
    let labels = '';
    const entries = [];
    while (s.at < streamEnd) {
      const field = s.varint();
      if (field === 0x0a) labels = s.string();
      else if (field === 0x12) {
        const entryEnd = s.span();
        const { timestamp, line, structuredMetadata } = readEntryMessage(buf, s.at, entryEnd);
        entries.push({ timestamp, line, structuredMetadata });
        s.at = entryEnd;
      } else s.skip(field & 7); // StreamAdapter.hash = 3, or unknown
    }
    streams.push({ labels, entries });
    r.at = streamEnd;
  }
  return streams;
}
