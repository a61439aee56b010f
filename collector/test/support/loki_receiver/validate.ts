import { goQuote } from '../../../src/go/strconv.js';
import type { PushEntry, PushStream } from '../../../src/loki/push_proto.js';
import type { LokiLimits } from './limits.js';
import type { ParsedLabels } from './parse_labels.js';

/**
 * Loki's distributor checks (pkg/distributor/validator.go, messages from
 * pkg/validation/validate.go), applied per stream then per entry. As in Loki,
 * a bad stream or entry is skipped and reported while the rest of the request
 * is still ingested; the caller answers 400 with all messages grouped.
 */
export interface AcceptedStream {
  labels: ParsedLabels;
  entries: PushEntry[];
}

export interface ValidationResult {
  accepted: AcceptedStream[];
  errors: string[];
}

const SERVICE_NAME = 'service_name';
const utf8Length = (text: string) => Buffer.byteLength(text, 'utf8');

/** Prometheus labels.Labels.String() of parsed labels. */
export function labelsString(labels: ParsedLabels): string {
  return '{' + labels.map(([name, value]) => `${name}=${goQuote(value)}`).join(', ') + '}';
}

export function validateStreams(
  streams: { raw: PushStream; labels: ParsedLabels }[],
  limits: LokiLimits,
  nowMs: number,
): ValidationResult {
  const accepted: AcceptedStream[] = [];
  const errors: string[] = [];
  for (const { raw, labels } of streams) {
    if (raw.entries.length === 0) continue;
    const labelError = validateLabels(raw.labels, labels, limits);
    if (labelError) {
      errors.push(labelError);
      continue;
    }
    const entries: PushEntry[] = [];
    for (const entry of raw.entries) {
      const fixed = truncate(entry, limits);
      const entryError = validateEntry(labelsString(labels), fixed, limits, nowMs);
      if (entryError) errors.push(entryError);
      else entries.push(fixed);
    }
    if (entries.length > 0) accepted.push({ labels, entries });
  }
  return { accepted, errors };
}

function validateLabels(text: string, labels: ParsedLabels, limits: LokiLimits): string | undefined {
  if (labels.length === 0) return 'error at least one label pair is required per stream';
  const count = labels.length - (labels.some(([name]) => name === SERVICE_NAME) ? 1 : 0);
  if (count > limits.maxLabelNamesPerSeries) {
    return `entry for stream '${text}' has ${count} label names; limit ${limits.maxLabelNamesPerSeries}`;
  }
  let last = '';
  for (const [name, value] of labels) {
    if (utf8Length(name) > limits.maxLabelNameLength)
      return `stream '${text}' has label name too long: '${name}'`;
    if (utf8Length(value) > limits.maxLabelValueLength)
      return `stream '${text}' has label value too long: '${value}'`;
    if (name === last) return `stream '${text}' has duplicate label name: '${name}'`;
    last = name;
  }
  return undefined;
}

function truncate(entry: PushEntry, limits: LokiLimits): PushEntry {
  if (!limits.maxLineSizeTruncate || limits.maxLineSize === 0) return entry;
  const bytes = Buffer.from(entry.line, 'utf8');
  if (bytes.length <= limits.maxLineSize) return entry;
  return { ...entry, line: bytes.subarray(0, limits.maxLineSize).toString('utf8') };
}

const NS_PER_MS = 1_000_000n;

/** Go's time.Format(time.RFC3339) in UTC: seconds precision, `Z`. */
function rfc3339(ns: bigint): string {
  return new Date(Number(ns / NS_PER_MS)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function validateEntry(
  stream: string,
  entry: PushEntry,
  limits: LokiLimits,
  nowMs: number,
): string | undefined {
  const oldest = BigInt(nowMs - limits.rejectOldSamplesMaxAgeMs) * NS_PER_MS;
  if (limits.rejectOldSamples && entry.timestamp < oldest) {
    return `entry for stream '${stream}' has timestamp too old: ${rfc3339(entry.timestamp)}, oldest acceptable timestamp is: ${rfc3339(oldest)}`;
  }
  if (entry.timestamp > BigInt(nowMs + limits.creationGracePeriodMs) * NS_PER_MS) {
    return `entry for stream '${stream}' has timestamp too new: ${rfc3339(entry.timestamp)}`;
  }
  const length = utf8Length(entry.line);
  if (limits.maxLineSize !== 0 && length > limits.maxLineSize) {
    return `Max entry size '${limits.maxLineSize}' bytes exceeded for stream '${stream}' while adding an entry with length '${length}' bytes`;
  }
  const metadata = entry.structuredMetadata;
  if (metadata.length > 0) {
    if (!limits.allowStructuredMetadata) {
      return `stream '${stream}' includes structured metadata, but this feature is disallowed. Please see \`limits_config.allow_structured_metadata\` or contact your Loki administrator to enable it.`;
    }
    const size = metadata.reduce((sum, pair) => sum + utf8Length(pair.name) + utf8Length(pair.value), 0);
    if (limits.maxStructuredMetadataSize !== 0 && size > limits.maxStructuredMetadataSize) {
      return `stream '${stream}' has structured metadata too large: '${size}' bytes, limit: '${limits.maxStructuredMetadataSize}' bytes. Please see \`limits_config.max_structured_metadata_size\` or contact your Loki administrator to increase it.`;
    }
    const limit = limits.maxStructuredMetadataEntriesCount;
    if (limit !== 0 && metadata.length > limit) {
      return `stream '${stream}' has too many structured metadata labels: '${metadata.length}', limit: '${limit}'. Please see \`limits_config.max_structured_metadata_entries_count\` or contact your Loki administrator to increase it.`;
    }
  }
  return undefined;
}

/** util.GroupedErrors.Error(): identical messages grouped, "N errors like: " when more than one kind or copy. */
export function groupErrors(errors: string[]): string {
  const counts = new Map<string, number>();
  for (const error of errors) counts.set(error, (counts.get(error) ?? 0) + 1);
  const prefix = counts.size > 1;
  return [...counts].map(([error, n]) => (prefix || n > 1 ? `${n} errors like: ${error}` : error)).join('; ');
}
