import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Entry } from '../../pipeline/entry.js';

/**
 * From a log entry to a row of the SQL audit trail. Each column is read from
 * the entry's JSON line (the first key found, top level, as the SDK's audit
 * helper writes it), else from its structured metadata (as the `context`
 * stage leaves it):
 *
 * | audit.events column | JSON line keys | structured metadata |
 * | --- | --- | --- |
 * | occurred_at | the entry's timestamp (microseconds kept) | |
 * | action (required) | `action` | `action` |
 * | resource_type | `resource_type`, `resourceType`, `resource.type` | `resource_type` |
 * | resource_id | `resource_id`, `resourceId`, `resource.id` | `resource_id` |
 * | user_id | `user_id`, `userId`, `user.id` | `user_id` |
 * | username | `username`, `user` (a string), `user.name`, `user.username` | `user` |
 * | ip | `ip`, `client_ip`, `clientIp` (not an IP address: NULL) | `client_ip` |
 * | arguments | `arguments`, `args` (any JSON) | |
 * | result | `result` (any JSON) | |
 * | success | `success` (boolean or "true"/"false"; default true) | `success` |
 * | duration_ms | `duration_ms`, `durationMs` (a number >= 0) | `duration_ms` |
 * | correlation_id | `correlation_id`, `correlationId` | `correlation_id` |
 *
 * A detection (structured metadata `security_event`, from the `detect` stage)
 * becomes an audit.security_events row: type = `security_event`; severity =
 * the detector's low/medium/high/critical as info/warning/critical/critical
 * (the table's scale); user_id, username, ip and correlation_id as above;
 * details = {"reason": security_reason, "severity": the detector's, "line"}.
 *
 * Numbers and booleans are stored as text where the column is text; NUL
 * characters (which PostgreSQL refuses in text) are removed and unpaired
 * surrogates replaced. An entry selected as an event whose line is not a JSON
 * object and whose metadata has no `action` is dropped as `not_json`; one
 * with no `action` anywhere as `no_action`.
 */
export interface EventRow {
  key: string;
  occurredAt: string;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  userId: string | null;
  username: string | null;
  ip: string | null;
  arguments: string | null;
  result: string | null;
  success: boolean;
  durationMs: number | null;
  correlationId: string | null;
}

export interface SecurityEventRow {
  key: string;
  occurredAt: string;
  type: string;
  severity: string;
  userId: string | null;
  username: string | null;
  ip: string | null;
  details: string;
  correlationId: string | null;
}

export type DropReason = 'not_json' | 'no_action';

type Json = Record<string, unknown>;

/** Where a column's value is looked for: JSON paths (first found wins), then one metadata name. */
interface Source {
  json: readonly (readonly string[])[];
  metadata?: string;
  /** Objects and arrays are values too (jsonb columns); otherwise they are passed over. */
  anyJson?: boolean;
}

const paths = (...names: string[]) => names.map((n) => n.split('.'));
const FIELDS = {
  action: { json: paths('action'), metadata: 'action' },
  resourceType: { json: paths('resource_type', 'resourceType', 'resource.type'), metadata: 'resource_type' },
  resourceId: { json: paths('resource_id', 'resourceId', 'resource.id'), metadata: 'resource_id' },
  userId: { json: paths('user_id', 'userId', 'user.id'), metadata: 'user_id' },
  username: { json: paths('username', 'user', 'user.name', 'user.username'), metadata: 'user' },
  ip: { json: paths('ip', 'client_ip', 'clientIp'), metadata: 'client_ip' },
  arguments: { json: paths('arguments', 'args'), anyJson: true },
  result: { json: paths('result'), anyJson: true },
  success: { json: paths('success'), metadata: 'success' },
  durationMs: { json: paths('duration_ms', 'durationMs'), metadata: 'duration_ms' },
  correlationId: { json: paths('correlation_id', 'correlationId'), metadata: 'correlation_id' },
} satisfies Record<string, Source>;

/** The detector's severities on audit.security_events' scale (debug, info, warning, critical). */
const SEVERITY: Readonly<Record<string, string>> = {
  low: 'info',
  medium: 'warning',
  high: 'critical',
  critical: 'critical',
};

/** Maps an entry the events selector matched; a reason when it cannot. */
export function eventRow(entry: Entry): EventRow | DropReason {
  const json = jsonObject(entry.line);
  const read = (source: Source) => lookup(json, entry.structuredMetadata, source);
  const action = text(read(FIELDS.action));
  if (action === null || action === '') return json === undefined ? 'not_json' : 'no_action';
  return {
    key: idempotencyKey(entry, false),
    occurredAt: isoMicros(entry.timestamp),
    action,
    resourceType: text(read(FIELDS.resourceType)),
    resourceId: text(read(FIELDS.resourceId)),
    userId: text(read(FIELDS.userId)),
    username: text(read(FIELDS.username)),
    ip: ipAddress(read(FIELDS.ip)),
    arguments: jsonText(read(FIELDS.arguments)),
    result: jsonText(read(FIELDS.result)),
    success: bool(read(FIELDS.success)) ?? true,
    durationMs: nonNegative(read(FIELDS.durationMs)),
    correlationId: text(read(FIELDS.correlationId)),
  };
}

/** Maps a detection (an entry with `security_event` metadata); undefined for any other entry. */
export function securityEventRow(entry: Entry): SecurityEventRow | undefined {
  const type = entry.structuredMetadata.security_event;
  if (type === undefined || type === '') return undefined;
  const json = jsonObject(entry.line);
  const read = (source: Source) => lookup(json, entry.structuredMetadata, source);
  const detected = entry.structuredMetadata.severity ?? '';
  return {
    key: idempotencyKey(entry, true),
    occurredAt: isoMicros(entry.timestamp),
    type: clean(type),
    severity: SEVERITY[detected] ?? 'warning',
    userId: text(read(FIELDS.userId)),
    username: text(read(FIELDS.username)),
    ip: ipAddress(read(FIELDS.ip)),
    details: jsonText({
      reason: entry.structuredMetadata.security_reason ?? null,
      severity: detected,
      line: entry.line,
    })!,
    correlationId: text(read(FIELDS.correlationId)),
  };
}

/**
 * sha256 (hex) of the entry's identity, as Loki sees it: timestamp (ns), labels
 * (sorted) and line. A replay of the same spool record gives the same key.
 * For detections the `stream` label is left out: the detect stage emits the
 * entry and a copy labelled stream="security", which are one detection.
 */
export function idempotencyKey(entry: Entry, withoutStream: boolean): string {
  const hash = createHash('sha256');
  hash.update(`${entry.timestamp}\n`);
  for (const name of Object.keys(entry.labels).sort()) {
    if (withoutStream && name === 'stream') continue;
    hash.update(`${name}\u0000${entry.labels[name]}\u0001`);
  }
  hash.update('\n');
  hash.update(entry.line);
  return hash.digest('hex');
}

/** Nanoseconds since the epoch as RFC 3339 UTC with microseconds (PostgreSQL's precision). */
export function isoMicros(ns: bigint): string {
  const us = ns / 1000n;
  let ms = us / 1000n;
  let rest = us % 1000n;
  if (rest < 0n) {
    rest += 1000n;
    ms -= 1n;
  }
  return `${new Date(Number(ms)).toISOString().slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

function jsonObject(line: string): Json | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

function lookup(json: Json | undefined, metadata: Record<string, string>, source: Source): unknown {
  if (json !== undefined) {
    for (const path of source.json) {
      let value: unknown = json;
      for (const key of path) {
        value =
          value !== null && typeof value === 'object' && !Array.isArray(value)
            ? (value as Json)[key]
            : undefined;
      }
      if (value !== undefined && value !== null && (source.anyJson === true || typeof value !== 'object'))
        return value;
    }
  }
  return source.metadata === undefined ? undefined : metadata[source.metadata];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** PostgreSQL refuses NUL in text, and jsonb an escaped unpaired surrogate (`"\udc00"`). */
function clean(value: string): string {
  return value.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return clean(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return null;
}

function jsonText(value: unknown): string | null {
  if (value === undefined) return null;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? clean(v) : v));
}

function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

function nonNegative(value: unknown): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function ipAddress(value: unknown): string | null {
  return typeof value === 'string' && isIP(value) !== 0 ? value : null;
}
