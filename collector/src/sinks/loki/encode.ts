import { assemblePushRequest } from '../../loki/push_entries.js';
import { compress } from '../../loki/snappy.js';
import type { PushEncoding } from './config.js';
import type { TenantBatch } from './batch.js';

export interface EncodedBatch {
  body: Buffer;
  contentType: string;
}

/**
 * A tenant batch as a push body: protobuf + snappy block (what Promtail sends,
 * `application/x-protobuf`), built by copying each stream's protobuf
 * fragments behind its labels, or Loki's v1 JSON (`{"streams":[{"stream":{},
 * "values":[["<ns>","line",{metadata}]]}]}`) for debugging.
 */
export function encodeBatch(
  batch: TenantBatch,
  encoding: PushEncoding,
  /** Reused between pushes for the uncompressed protobuf (only the compressed body is kept). */
  scratch?: { buffer: Buffer },
): EncodedBatch {
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
  return {
    body: compress(assemblePushRequest(batch.streams, scratch)),
    contentType: 'application/x-protobuf',
  };
}
