import { gunzipSync, inflateSync } from 'node:zlib';
import { decodePushRequest, type PushEntry } from '../loki/push_proto.js';
import { uncompress, uncompressedLength } from '../loki/snappy.js';
import { parseLabelSet } from './loki_push_labels.js';

/**
 * Decodes a body of `POST /loki/api/v1/push` the way Loki's push parser does:
 *   - Content-Encoding `gzip` or `deflate` is undone first (`snappy` or none:
 *     nothing to undo at this step);
 *   - `application/json`: `{"streams":[{"stream":{...},"values":[["<ns>","line",{metadata}]]}]}`;
 *   - anything else: a snappy BLOCK of a protobuf `PushRequest` (what Promtail
 *     and winston-loki send as `application/x-protobuf`).
 * Every size is bounded by `maxBytes`, decompressed sizes included (a 1 KB
 * snappy or gzip body must not expand into gigabytes).
 * Throws PushDecodeError with a message fit for a 400 answer. A protobuf
 * stream whose label text does not parse is returned with `labelError`, so the
 * receiver can take the other streams and still answer 400, as Promtail does.
 */
export interface DecodedStream {
  labels: Record<string, string>;
  labelError?: string;
  entries: PushEntry[];
}

export interface DecodedPush {
  streams: DecodedStream[];
}

export class PushDecodeError extends Error {
  override readonly name = 'PushDecodeError';
}

export function decodePushBody(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  maxBytes: number,
): DecodedPush {
  const raw = undoContentEncoding(body, contentEncoding, maxBytes);
  const mime = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/json') return decodeJsonPush(raw);
  return decodeProtobufPush(raw, maxBytes);
}

function undoContentEncoding(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  try {
    if (enc === '' || enc === 'snappy' || enc === 'identity') return body;
    if (enc === 'gzip') return gunzipSync(body, { maxOutputLength: maxBytes });
    if (enc === 'deflate') return inflateSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new PushDecodeError(`failed to decompress ${enc} body: ${(err as Error).message}`);
  }
  throw new PushDecodeError(`Content-Encoding "${encoding}" not supported`);
}

function decodeProtobufPush(raw: Buffer, maxBytes: number): DecodedPush {
  const size = uncompressedLength(raw);
  if (size === undefined) throw new PushDecodeError('snappy: corrupt input');
  if (size > maxBytes)
    throw new PushDecodeError(`decompressed size ${size} exceeds the limit of ${maxBytes} bytes`);
  let bytes: Buffer;
  try {
    bytes = uncompress(raw);
  } catch (err) {
    throw new PushDecodeError(`snappy: ${(err as Error).message}`);
  }
  let request;
  try {
    request = decodePushRequest(bytes);
  } catch (err) {
    throw new PushDecodeError(`failed to decode protobuf PushRequest: ${(err as Error).message}`);
  }
  return {
    streams: request.streams.map((stream) => {
      try {
        return { labels: parseLabelSet(stream.labels), entries: stream.entries };
      } catch (err) {
        return { labels: {}, labelError: (err as Error).message, entries: stream.entries };
      }
    }),
  };
}

interface JsonStream {
  stream?: unknown;
  values?: unknown;
}

/** Loki's JSON push body. Timestamps are nanosecond strings (numbers are accepted too). */
export function decodeJsonPush(raw: Buffer): DecodedPush {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new PushDecodeError(`failed to parse JSON body: ${(err as Error).message}`);
  }
  const streams = (doc as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) throw new PushDecodeError('JSON body must have a "streams" array');
  return {
    streams: streams.map((s: JsonStream, i) => {
      if (typeof s !== 'object' || s === null) throw new PushDecodeError(`streams[${i}] must be an object`);
      const labels = s.stream ?? {};
      if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
        throw new PushDecodeError(`streams[${i}].stream must be an object of labels`);
      }
      for (const [k, v] of Object.entries(labels)) {
        if (typeof v !== 'string') throw new PushDecodeError(`streams[${i}].stream.${k} must be a string`);
      }
      if (!Array.isArray(s.values)) throw new PushDecodeError(`streams[${i}].values must be an array`);
      return {
        labels: labels as Record<string, string>,
        entries: s.values.map((v: unknown, j) => decodeJsonValue(v, `streams[${i}].values[${j}]`)),
      };
    }),
  };
}

function decodeJsonValue(value: unknown, path: string): PushEntry {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    throw new PushDecodeError(`${path} must be [timestamp, line] or [timestamp, line, metadata]`);
  }
  const [ts, line, metadata] = value as [unknown, unknown, unknown];
  const text = typeof ts === 'number' ? String(ts) : ts;
  if (typeof text !== 'string' || !/^\d+$/.test(text))
    throw new PushDecodeError(`${path}: invalid timestamp ${JSON.stringify(ts)}`);
  if (typeof line !== 'string') throw new PushDecodeError(`${path}: the line must be a string`);
  const structuredMetadata: { name: string; value: string }[] = [];
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new PushDecodeError(`${path}: structured metadata must be an object`);
    }
    for (const [name, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new PushDecodeError(`${path}: structured metadata ${name} must be a string`);
      structuredMetadata.push({ name, value: v });
    }
  }
  return { timestamp: BigInt(text), line, structuredMetadata };
}
