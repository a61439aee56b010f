import protobuf from 'protobufjs';
import type { LabelPair, PushRequest } from '../../src/loki/push_proto.js';

/**
 * A reference decoder for Loki's push protobuf: protobufjs reflection built
 * from Loki's push.proto (as JSON). The collector encodes and decodes by hand
 * (src/loki/push_entries.ts, push_read.ts); tests and the Loki-faithful
 * receiver decode with this independent implementation, so a mistake in the
 * hand-written code cannot hide behind itself.
 */
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

/** Parses an uncompressed protobuf push request; throws on malformed input. */
export function referenceDecodePushRequest(bytes: Uint8Array): PushRequest {
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
