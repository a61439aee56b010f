import { gunzipSync, inflateRawSync } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';
import type { PushEntry, PushRequest, PushStream } from '../../../src/loki/push_proto.js';
import { referenceDecodePushRequest } from '../push_proto_reference.js';
import { renderLabels } from '../../../src/loki/labels.js';
import { uncompress } from '../../../src/loki/snappy.js';

/** What pkg/loghttp/push ParseLokiRequest does with a body; throws BodyError with Loki's text. */
export class BodyError extends Error {}

export function decodeBody(headers: IncomingHttpHeaders, body: Buffer): PushRequest {
  const encoding = headers['content-encoding'] ?? '';
  let raw: Buffer;
  switch (encoding) {
    case '':
    case 'snappy': // snappy is undone below with the protobuf; some clients set it anyway (Loki #3407)
      raw = body;
      break;
    case 'gzip':
      raw = attempt(() => gunzipSync(body), 'gzip: invalid header');
      break;
    case 'deflate':
      raw = attempt(() => inflateRawSync(body), 'flate: corrupt input');
      break;
    default:
      throw new BodyError(`Content-Encoding "${encoding}" not supported`);
  }
  const mediaType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === '') throw new BodyError('mime: no media type');
  if (mediaType === 'application/json') return decodeJson(raw);
  const proto = attempt(() => uncompress(raw), 'snappy: corrupt input');
  return attempt(() => referenceDecodePushRequest(proto), 'proto: PushRequest: illegal wireType');
}

function attempt<T>(run: () => T, message: string): T {
  try {
    return run();
  } catch {
    throw new BodyError(message);
  }
}

/**
 * Loki's v1 JSON push: `{"streams":[{"stream":{...},"values":[["<ns>","line",{sm}]]}]}`.
 * A stream's labels become the sorted, quoted text form, so a missing `stream`
 * is `{}` (then rejected as "at least one label pair").
 */
function decodeJson(raw: Buffer): PushRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new BodyError(`loghttp.PushRequest: ReadObject: ${(error as Error).message}`);
  }
  const streams = (parsed as { streams?: unknown }).streams;
  if (streams !== undefined && streams !== null && !Array.isArray(streams)) {
    throw new BodyError('loghttp.PushRequest.Streams: decode slice: expect [ or n');
  }
  return { streams: ((streams ?? []) as unknown[]).map(jsonStream) };
}

function jsonStream(value: unknown): PushStream {
  const { stream, values } = (value ?? {}) as { stream?: Record<string, unknown>; values?: unknown[] };
  const labels: Record<string, string> = {};
  for (const [name, label] of Object.entries(stream ?? {})) {
    if (typeof label !== 'string')
      throw new BodyError(`loghttp.LabelSet: ReadString: expects " or n, label ${name}`);
    labels[name] = label;
  }
  return { labels: renderLabels(labels), entries: (values ?? []).map(jsonEntry) };
}

function jsonEntry(value: unknown): PushEntry {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    throw new BodyError('Value is not an array of 2 or 3 elements');
  }
  const [ts, line, metadata] = value as [unknown, unknown, unknown];
  if (typeof ts !== 'string' || !/^-?\d+$/.test(ts))
    throw new BodyError(`invalid timestamp: ${JSON.stringify(ts)}`);
  if (typeof line !== 'string') throw new BodyError('line is not a string');
  const structuredMetadata = Object.entries((metadata ?? {}) as Record<string, unknown>).map(([name, v]) => ({
    name,
    value: String(v),
  }));
  return { timestamp: BigInt(ts), line, structuredMetadata };
}
