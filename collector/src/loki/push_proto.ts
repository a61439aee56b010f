import { assemblePushRequest, encodeEntries, type LabelPair } from './push_entries.js';
import { readPushRequest } from './push_read.js';

/**
 * Loki's push protocol, `logproto.PushRequest` from grafana/loki
 * pkg/push/push.proto, encoded and decoded by hand (push_entries.ts,
 * push_read.ts). Field numbers are the wire contract: streams=1;
 * StreamAdapter labels=1 entries=2 hash=3; EntryAdapter timestamp=1
 * (google.protobuf.Timestamp) line=2 structuredMetadata=3; LabelPairAdapter
 * name=1 value=2.
 */

export type { LabelPair };

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

/**
 * Serialises a push request (uncompressed protobuf; snappy it for the wire),
 * by hand through push_entries.ts (well under 1 µs per entry; protobufjs
 * objects took 4 µs); the tests read it back with protobufjs.
 * Negative timestamps (before 1970) are written as Timestamp wants them:
 * seconds floored, nanos in [0, 1e9) (seconds as a 10-byte two's-complement varint).
 */
export function encodePushRequest(request: PushRequest): Uint8Array {
  return assemblePushRequest(
    request.streams.map((stream) => ({ labels: stream.labels, chunks: [encodeEntries(stream.entries)] })),
  );
}

/**
 * Parses an uncompressed protobuf push request; throws on malformed input.
 * Hand-written (push_read.ts) so the collector does not load protobufjs;
 * test/support/push_proto_reference.ts checks it against protobufjs.
 */
export function decodePushRequest(bytes: Uint8Array): PushRequest {
  return { streams: readPushRequest(bytes) };
}
