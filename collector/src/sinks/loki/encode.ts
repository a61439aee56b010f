import { encodePushRequest, type PushStream } from '../../loki/push_proto.js';
import { compress } from '../../loki/snappy.js';
import type { PushEncoding } from './config.js';
import type { TenantBatch } from './batch.js';

export interface EncodedBatch {
  body: Buffer;
  contentType: string;
}

/**
 * A tenant batch as a push body: protobuf + snappy block (what Promtail sends,
 * `application/x-protobuf`) or Loki's v1 JSON (`{"streams":[{"stream":{},
 * "values":[["<ns>","line",{metadata}]]}]}`) for debugging.
 */
export function encodeBatch(batch: TenantBatch, encoding: PushEncoding): EncodedBatch {
  if (encoding === 'json') {
    const streams = batch.streams.map((stream) => ({
      stream: stream.entries[0]!.labels,
      values: stream.entries.map((e) =>
        Object.keys(e.structuredMetadata).length > 0
          ? [String(e.timestamp), e.line, e.structuredMetadata]
          : [String(e.timestamp), e.line],
      ),
    }));
    return { body: Buffer.from(JSON.stringify({ streams })), contentType: 'application/json' };
  }
  const streams: PushStream[] = batch.streams.map((stream) => ({
    labels: stream.labels,
    entries: stream.entries.map((e) => ({
      timestamp: e.timestamp,
      line: e.line,
      structuredMetadata: metadataPairs(e.structuredMetadata),
    })),
  }));
  return { body: compress(encodePushRequest({ streams })), contentType: 'application/x-protobuf' };
}

const NONE: { name: string; value: string }[] = [];

function metadataPairs(metadata: Record<string, string>): { name: string; value: string }[] {
  let pairs: { name: string; value: string }[] | undefined;
  for (const name in metadata) (pairs ??= []).push({ name, value: metadata[name]! });
  return pairs ?? NONE;
}
