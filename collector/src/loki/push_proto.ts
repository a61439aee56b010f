import protobuf from 'protobufjs';

/**
 * Loki's push protocol, `logproto.PushRequest` from grafana/loki
 * pkg/push/push.proto, as protobufjs reflection built once from a JSON
 * descriptor (no .proto file read at run time). Field numbers are the wire
 * contract: streams=1; StreamAdapter labels=1 entries=2 hash=3; EntryAdapter
 * timestamp=1 (google.protobuf.Timestamp) line=2 structuredMetadata=3;
 * LabelPairAdapter name=1 value=2.
 */

/** One label pair of an entry's structured metadata. */
export interface LabelPair {
  name: string;
  value: string;
}

export interface PushEntry {
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
  line: string;
  structuredMetadata: LabelPair[];
}

export interface PushStream {
  /** Label set in Loki's text form, `{a="x", b="y"}` (see labels.ts). */
  labels: string;
  entries: PushEntry[];
}

export interface PushRequest {
  streams: PushStream[];
}

const root = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        Timestamp: {
          fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } },
        },
        LabelPairAdapter: {
          fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        PushRequest: {
          fields: {
            streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 },
            format: { type: 'string', id: 2 },
          },
        },
      },
    },
  },
});

const pushRequestType = root.lookupType('logproto.PushRequest');

interface WireTimestamp {
  seconds: number | { toNumber(): number };
  nanos: number;
}
interface WireEntry {
  timestamp?: WireTimestamp;
  line: string;
  structuredMetadata: LabelPair[];
}
interface WireStream {
  labels: string;
  entries: WireEntry[];
}

const NS_PER_S = 1_000_000_000n;

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Fields are always written in field-number order, as Go's marshaller does. */
class ProtoWriter {
  at = 0;
  constructor(readonly buf: Buffer) {}
  varint(value: number): void {
    while (value >= 0x80) {
      this.buf[this.at++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.at++] = value;
  }
  /** A length-delimited string field whose UTF-8 length is already known. */
  string(tag: number, text: string, bytes: number): void {
    this.buf[this.at++] = tag;
    this.varint(bytes);
    this.at += this.buf.write(text, this.at, bytes, 'utf8');
  }
}

/**
 * Serialises a push request (uncompressed protobuf; snappy it for the wire).
 * Written by hand in two passes (sizes, then bytes into one buffer) rather
 * than through protobufjs objects: 4 µs per entry with protobufjs, well under
 * 1 µs here; decodePushRequest (protobufjs) reads it back in the tests.
 * Negative timestamps (before 1970) are written as Timestamp wants them:
 * seconds floored, nanos in [0, 1e9) (seconds as a 10-byte two's-complement varint).
 */
export function encodePushRequest(request: PushRequest): Uint8Array {
  let entryCount = 0;
  for (const stream of request.streams) entryCount += stream.entries.length;
  const seconds = new Float64Array(entryCount);
  const nanos = new Float64Array(entryCount);
  const tsSizes = new Uint8Array(entryCount);
  const lineBytes = new Uint32Array(entryCount);
  const entrySizes = new Uint32Array(entryCount);
  const streamSizes = new Uint32Array(request.streams.length);
  const labelBytes = new Uint32Array(request.streams.length);

  let total = 0;
  let i = 0;
  request.streams.forEach((stream, s) => {
    labelBytes[s] = Buffer.byteLength(stream.labels, 'utf8');
    let size = labelBytes[s]! > 0 ? 1 + varintSize(labelBytes[s]!) + labelBytes[s]! : 0;
    for (const entry of stream.entries) {
      let sec = entry.timestamp / NS_PER_S;
      let ns = entry.timestamp - sec * NS_PER_S;
      if (ns < 0n) {
        sec -= 1n;
        ns += NS_PER_S;
      }
      seconds[i] = Number(sec);
      nanos[i] = Number(ns);
      const secSize = seconds[i] === 0 ? 0 : 1 + (seconds[i]! < 0 ? 10 : varintSize(seconds[i]!));
      const nsSize = nanos[i] === 0 ? 0 : 1 + varintSize(nanos[i]!);
      tsSizes[i] = secSize + nsSize;
      let entrySize = 1 + varintSize(tsSizes[i]!) + tsSizes[i]!;
      lineBytes[i] = Buffer.byteLength(entry.line, 'utf8');
      if (lineBytes[i]! > 0) entrySize += 1 + varintSize(lineBytes[i]!) + lineBytes[i]!;
      for (const pair of entry.structuredMetadata) {
        const pairSize =
          fieldSize(Buffer.byteLength(pair.name, 'utf8')) + fieldSize(Buffer.byteLength(pair.value, 'utf8'));
        entrySize += 1 + varintSize(pairSize) + pairSize;
      }
      entrySizes[i] = entrySize;
      size += 1 + varintSize(entrySize) + entrySize;
      i++;
    }
    streamSizes[s] = size;
    total += 1 + varintSize(size) + size;
  });

  const w = new ProtoWriter(Buffer.allocUnsafe(total));
  i = 0;
  request.streams.forEach((stream, s) => {
    w.buf[w.at++] = 0x0a; // PushRequest.streams = 1
    w.varint(streamSizes[s]!);
    if (labelBytes[s]! > 0) w.string(0x0a, stream.labels, labelBytes[s]!); // StreamAdapter.labels = 1
    for (const entry of stream.entries) {
      w.buf[w.at++] = 0x12; // StreamAdapter.entries = 2
      w.varint(entrySizes[i]!);
      w.buf[w.at++] = 0x0a; // EntryAdapter.timestamp = 1
      w.varint(tsSizes[i]!);
      if (seconds[i] !== 0) {
        w.buf[w.at++] = 0x08;
        if (seconds[i]! < 0) writeNegativeVarint(w, seconds[i]!);
        else w.varint(seconds[i]!);
      }
      if (nanos[i] !== 0) {
        w.buf[w.at++] = 0x10;
        w.varint(nanos[i]!);
      }
      if (lineBytes[i]! > 0) w.string(0x12, entry.line, lineBytes[i]!); // EntryAdapter.line = 2
      for (const pair of entry.structuredMetadata) {
        const nameBytes = Buffer.byteLength(pair.name, 'utf8');
        const valueBytes = Buffer.byteLength(pair.value, 'utf8');
        w.buf[w.at++] = 0x1a; // EntryAdapter.structuredMetadata = 3
        w.varint(fieldSize(nameBytes) + fieldSize(valueBytes));
        if (nameBytes > 0) w.string(0x0a, pair.name, nameBytes);
        if (valueBytes > 0) w.string(0x12, pair.value, valueBytes);
      }
      i++;
    }
  });
  return w.buf;
}

/** Size of a non-empty string field (tag + length + bytes); proto3 omits empty ones. */
function fieldSize(bytes: number): number {
  return bytes === 0 ? 0 : 1 + varintSize(bytes) + bytes;
}

/** int64 below zero: ten bytes of two's complement, as protobuf encodes negative int64. */
function writeNegativeVarint(w: ProtoWriter, value: number): void {
  let big = BigInt.asUintN(64, BigInt(value));
  for (let k = 0; k < 9; k++) {
    w.buf[w.at++] = Number(big & 0x7fn) | 0x80;
    big >>= 7n;
  }
  w.buf[w.at++] = Number(big);
}

/** Parses an uncompressed protobuf push request; throws on malformed input. */
export function decodePushRequest(bytes: Uint8Array): PushRequest {
  const message = pushRequestType.decode(bytes) as unknown as { streams?: WireStream[] };
  return {
    streams: (message.streams ?? []).map((stream) => ({
      labels: stream.labels ?? '',
      entries: (stream.entries ?? []).map((entry) => ({
        timestamp: toNanoseconds(entry.timestamp),
        line: entry.line ?? '',
        structuredMetadata: (entry.structuredMetadata ?? []).map((pair) => ({
          name: pair.name ?? '',
          value: pair.value ?? '',
        })),
      })),
    })),
  };
}

function toNanoseconds(ts: WireTimestamp | undefined): bigint {
  if (!ts) return 0n;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return BigInt(seconds) * NS_PER_S + BigInt(ts.nanos ?? 0);
}
