import { assemblePushRequest } from '../../loki/push_entries.js';
import { SnappyEncoder } from '../../loki/snappy.js';
import type { PushEncoding } from './config.js';
import type { TenantBatch } from './batch.js';

export interface EncodedBatch {
  body: Buffer;
  contentType: string;
}

/**
 * What one client reuses from push to push: the uncompressed protobuf and the
 * snappy encoder's output. A body is valid until the client encodes the next
 * batch, which it does only once the previous push is answered.
 */
export class PushScratch {
  buffer: Buffer;
  readonly snappy: SnappyEncoder;

  /**
   * `expectedBytes`: what a push usually is, uncompressed. Allocated at once
   * (unwritten pages cost no resident memory), where growing by doubling left
   * dead, written buffers behind until a full GC.
   */
  constructor(expectedBytes = 0) {
    this.buffer = Buffer.allocUnsafe(expectedBytes);
    this.snappy = new SnappyEncoder(expectedBytes);
  }
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
  /** Default: a fresh one, so the body is the caller's to keep. */
  scratch: PushScratch = new PushScratch(),
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
    body: scratch.snappy.compress(assemblePushRequest(batch.streams, scratch)),
    contentType: 'application/x-protobuf',
  };
}
