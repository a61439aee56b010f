import { formatRFC3339Nano, parseRFC3339Nano } from '../go/time.js';
import { newEntry, type Entry } from './entry.js';

/**
 * The --dry-run JSON form of an entry, one object per line:
 * `{"ts":"<RFC3339Nano>","labels":{...},"line":"...","structured_metadata":{...},"extracted":{...}}`.
 * The same form is read back by `--stdin.format=jsonl` (ts optional, extracted
 * ignored), so captured output replays as input.
 */
export interface EntryJson {
  ts: string;
  labels: Record<string, string>;
  line: string;
  structured_metadata: Record<string, string>;
  extracted: Record<string, unknown>;
}

export function toEntryJson(entry: Entry): EntryJson {
  return {
    ts: formatRFC3339Nano(entry.timestamp),
    labels: entry.labels,
    line: entry.line,
    structured_metadata: entry.structuredMetadata,
    extracted: entry.extracted,
  };
}

/** One output line; bigint values (if a stage left one) print as strings. */
export function formatEntryJson(entry: Entry): string {
  return JSON.stringify(toEntryJson(entry), (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

export class EntryJsonError extends Error {}

const isStringMap = (value: unknown): value is Record<string, string> =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === 'string');

/**
 * Builds an entry from a parsed jsonl object: `line` required (a string, may hold
 * newlines), `ts` optional (RFC 3339, default `readTime`), `labels` added over
 * the target's labels, `structured_metadata` optional.
 */
export function entryFromJson(value: unknown, targetLabels: Record<string, string>, readTime: bigint): Entry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EntryJsonError('expected a JSON object with at least "line"');
  }
  const record = value as Record<string, unknown>;
  if (typeof record.line !== 'string') throw new EntryJsonError('"line" must be a string');
  let ts = readTime;
  if (record.ts !== undefined) {
    const parsed = typeof record.ts === 'string' ? parseRFC3339Nano(record.ts) : undefined;
    if (parsed === undefined)
      throw new EntryJsonError(`"ts" must be an RFC 3339 time such as 2024-01-02T03:04:05.123456789Z`);
    ts = parsed;
  }
  if (record.labels !== undefined && !isStringMap(record.labels)) {
    throw new EntryJsonError('"labels" must be a map of strings');
  }
  if (record.structured_metadata !== undefined && !isStringMap(record.structured_metadata)) {
    throw new EntryJsonError('"structured_metadata" must be a map of strings');
  }
  const labels = record.labels ? { ...targetLabels, ...record.labels } : targetLabels;
  return newEntry(record.line, labels, ts, { ...(record.structured_metadata ?? {}) });
}
