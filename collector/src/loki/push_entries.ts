/**
 * Loki push entries as protobuf bytes, written once and reused as they are.
 *
 * A "fragment" is a run of `StreamAdapter.entries` fields (field 2, each an
 * `EntryAdapter` message): exactly the bytes that follow a stream's labels
 * field inside a `StreamAdapter`. Protobuf concatenates repeated fields, so
 * the fragments of one stream from several spool records, put one after the
 * other behind one labels field, are that stream's entries in order. This is
 * how the spool stores entries and how the Loki client builds a push without
 * decoding them: assemblePushRequest() only copies bytes.
 *
 * Wire layout (logproto, grafana/loki pkg/push/push.proto), fields in number
 * order as Go writes them, empty fields omitted (proto3):
 *   EntryAdapter: timestamp=1 (Timestamp: seconds=1 int64, nanos=2 int32),
 *                 line=2, structuredMetadata=3 (LabelPairAdapter name=1 value=2)
 *   StreamAdapter: labels=1, entries=2;  PushRequest: streams=1
 */

export interface LabelPair {
  name: string;
  value: string;
}

/** Structured metadata in either form the collector holds it. */
export type Metadata = Readonly<Record<string, string>> | readonly LabelPair[];

const NS_PER_S = 1_000_000_000n;

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function putVarint(buf: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    buf[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[at++] = value;
  return at;
}

/** int64 below zero: ten bytes of two's complement, as protobuf writes negative int64. */
function putNegativeVarint(buf: Buffer, at: number, value: number): number {
  let big = BigInt.asUintN(64, BigInt(value));
  for (let k = 0; k < 9; k++) {
    buf[at++] = Number(big & 0x7fn) | 0x80;
    big >>= 7n;
  }
  buf[at++] = Number(big);
  return at;
}

/** Size of a non-empty length-delimited field (tag + length + bytes); proto3 omits empty ones. */
function fieldSize(bytes: number): number {
  return bytes === 0 ? 0 : 1 + varintSize(bytes) + bytes;
}

function putString(buf: Buffer, at: number, tag: number, text: string, bytes: number): number {
  if (bytes === 0) return at;
  buf[at++] = tag;
  at = putVarint(buf, at, bytes);
  return at + buf.write(text, at, bytes, 'utf8');
}

function metadataPairs(metadata: Metadata): readonly LabelPair[] {
  if (Array.isArray(metadata)) return metadata as readonly LabelPair[];
  const record = metadata as Readonly<Record<string, string>>;
  const pairs: LabelPair[] = [];
  for (const name in record) pairs.push({ name, value: record[name]! });
  return pairs;
}

function hasMetadata(metadata: Metadata): boolean {
  if (Array.isArray(metadata)) return metadata.length > 0;
  for (const _ in metadata) return true;
  return false;
}

/** Upper bound of the bytes one entry takes in a fragment (UTF-8 is at most 3 bytes per UTF-16 unit). */
export function entryBound(line: string, metadata: Metadata): number {
  let bound = 40 + line.length * 3;
  if (hasMetadata(metadata))
    for (const pair of metadataPairs(metadata)) bound += 16 + (pair.name.length + pair.value.length) * 3;
  return bound;
}

/**
 * Writes entries into a caller-sized buffer (see entryBound). After each
 * entry(), `lineBytes` and `metadataBytes` give its UTF-8 sizes, which the
 * spool keeps per stream (batch size, max_line_size) so the client need not
 * look inside the bytes.
 */
export class FragmentWriter {
  lineBytes = 0;
  metadataBytes = 0;

  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}

  entry(timestamp: bigint, line: string, metadata: Metadata): void {
    const buf = this.buf;
    let sec = timestamp / NS_PER_S;
    let rem = timestamp - sec * NS_PER_S;
    if (rem < 0n) {
      sec -= 1n;
      rem += NS_PER_S;
    }
    const seconds = Number(sec);
    const nanos = Number(rem);
    const tsSize =
      (seconds === 0 ? 0 : 1 + (seconds < 0 ? 10 : varintSize(seconds))) +
      (nanos === 0 ? 0 : 1 + varintSize(nanos));
    const pairs = hasMetadata(metadata) ? metadataPairs(metadata) : undefined;
    let metaSize = 0;
    let metaBytes = 0;
    if (pairs) {
      for (const pair of pairs) {
        const n = Buffer.byteLength(pair.name, 'utf8');
        const v = Buffer.byteLength(pair.value, 'utf8');
        const size = fieldSize(n) + fieldSize(v);
        metaSize += 1 + varintSize(size) + size;
        metaBytes += n + v;
      }
    }
    // Guess the line is ASCII (one byte per UTF-16 unit); UTF-8 is never
    // shorter, so a wrong guess is seen after writing and redone once, exactly.
    let lineBytes = line.length;
    for (;;) {
      const entrySize = 2 + tsSize + fieldSize(lineBytes) + metaSize; // tsSize < 128: one-byte length
      let at = this.at;
      buf[at++] = 0x12; // StreamAdapter.entries = 2
      at = putVarint(buf, at, entrySize);
      buf[at++] = 0x0a; // EntryAdapter.timestamp = 1
      buf[at++] = tsSize;
      if (seconds !== 0) {
        buf[at++] = 0x08;
        at = seconds < 0 ? putNegativeVarint(buf, at, seconds) : putVarint(buf, at, seconds);
      }
      if (nanos !== 0) {
        buf[at++] = 0x10;
        at = putVarint(buf, at, nanos);
      }
      if (lineBytes > 0) {
        buf[at++] = 0x12; // EntryAdapter.line = 2
        at = putVarint(buf, at, lineBytes);
        const written = buf.write(line, at, 'utf8');
        if (written !== lineBytes) {
          lineBytes = written;
          continue;
        }
        at += written;
      }
      if (pairs) {
        for (const pair of pairs) {
          const n = Buffer.byteLength(pair.name, 'utf8');
          const v = Buffer.byteLength(pair.value, 'utf8');
          buf[at++] = 0x1a; // EntryAdapter.structuredMetadata = 3
          at = putVarint(buf, at, fieldSize(n) + fieldSize(v));
          at = putString(buf, at, 0x0a, pair.name, n);
          at = putString(buf, at, 0x12, pair.value, v);
        }
      }
      this.at = at;
      this.lineBytes = lineBytes;
      this.metadataBytes = metaBytes;
      return;
    }
  }
}

/** One entry's bytes as a fragment of its own (for entries that did not come from the spool). */
export function encodeEntries(
  entries: readonly { timestamp: bigint; line: string; structuredMetadata: Metadata }[],
): Buffer {
  let bound = 0;
  for (const e of entries) bound += entryBound(e.line, e.structuredMetadata);
  const writer = new FragmentWriter(Buffer.allocUnsafe(bound), 0);
  for (const e of entries) writer.entry(e.timestamp, e.line, e.structuredMetadata);
  return writer.buf.subarray(0, writer.at);
}

const MAX_SCRATCH_BYTES = 64 * 1024 * 1024;

/** A stream of a push: Loki's label text and its entries as fragments, in order. */
export interface FragmentStream {
  labels: string;
  chunks: readonly Buffer[];
}

/**
 * A whole PushRequest (uncompressed) from streams of fragments: sizes, then
 * one copy of the bytes. With `scratch`, written into `scratch.buffer` (grown
 * as needed, up to 64 MiB) and returned as a view valid until the next call.
 */
export function assemblePushRequest(
  streams: readonly FragmentStream[],
  scratch?: { buffer: Buffer },
): Buffer {
  const labelBytes = new Uint32Array(streams.length);
  const sizes = new Uint32Array(streams.length);
  let total = 0;
  for (let s = 0; s < streams.length; s++) {
    const stream = streams[s]!;
    labelBytes[s] = Buffer.byteLength(stream.labels, 'utf8');
    let size = fieldSize(labelBytes[s]!);
    for (const chunk of stream.chunks) size += chunk.length;
    sizes[s] = size;
    total += 1 + varintSize(size) + size;
  }
  let buf: Buffer;
  if (scratch && total <= MAX_SCRATCH_BYTES) {
    // Doubling: a buffer grown a little at each bigger push left a trail of dead ones outside the heap.
    if (scratch.buffer.length < total)
      scratch.buffer = Buffer.allocUnsafe(
        Math.min(MAX_SCRATCH_BYTES, Math.max(total, 2 * scratch.buffer.length, 64 << 10)),
      );
    buf = scratch.buffer.subarray(0, total);
  } else buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (let s = 0; s < streams.length; s++) {
    const stream = streams[s]!;
    buf[at++] = 0x0a; // PushRequest.streams = 1
    at = putVarint(buf, at, sizes[s]!);
    at = putString(buf, at, 0x0a, stream.labels, labelBytes[s]!); // StreamAdapter.labels = 1
    for (const chunk of stream.chunks) at += chunk.copy(buf, at);
  }
  return buf;
}
