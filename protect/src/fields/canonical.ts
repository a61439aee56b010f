/**
 * Who, which request, which trace: the usual field names apps and proxies write,
 * mapped to one canonical name each. Names compare without case and separators,
 * so `requestId`, `request_id`, `X-Request-ID` are the same field.
 */
import type { Fields } from './read_fields.js';

export const canonicalNames = [
  'correlation_id',
  'request_id',
  'trace_id',
  'span_id',
  'user_id',
  'user',
  'client_ip',
  'method',
  'path',
  'status',
  'duration_ms',
] as const;
export type CanonicalName = (typeof canonicalNames)[number];
export type RequestContext = Partial<Record<CanonicalName, string>>;

const aliases: Record<CanonicalName, readonly string[]> = {
  correlation_id: ['correlationid', 'xcorrelationid', 'corrid'],
  request_id: ['requestid', 'xrequestid', 'reqid'],
  trace_id: ['traceid'],
  span_id: ['spanid'],
  user_id: ['userid', 'uid'],
  user: ['user', 'username', 'login'],
  client_ip: ['clientip', 'ip', 'remoteaddr', 'remoteip', 'xforwardedfor', 'xrealip', 'sourceip', 'srcip'],
  method: ['method', 'httpmethod', 'requestmethod', 'verb'],
  path: ['path', 'urlpath', 'uri', 'url', 'requesturi', 'requestpath', 'route'],
  status: ['status', 'statuscode', 'httpstatus', 'responsestatus', 'code'],
  duration_ms: [
    'durationms',
    'elapsedms',
    'tookms',
    'latencyms',
    'responsetimems',
    'duration',
    'latency',
    'took',
    'elapsed',
    'responsetime',
  ],
};

const aliasToName = new Map<string, CanonicalName>(
  canonicalNames.flatMap((name) => aliases[name].map((a) => [a, name] as const)),
);
const levelKeys = new Set(['level', 'lvl', 'severity', 'loglevel', 'levelname']);

export const normaliseKey = (key: string): string => key.toLowerCase().replace(/[-_.\s]/g, '');

/** Objects looked into, nearest first, so `{"req":{"method":"GET"}}` counts and the top level wins. */
const maxDepth = 3;

/** The canonical request context of a line's fields; absent fields are left out. */
export function requestContext(fields: Fields): RequestContext {
  const found: RequestContext = {};
  let level: Fields[] = [fields];
  for (let depth = 0; depth < maxDepth && level.length > 0; depth++) {
    const next: Fields[] = [];
    for (const object of level) {
      for (const [key, value] of Object.entries(object)) {
        const norm = normaliseKey(key);
        if (value !== null && typeof value === 'object') {
          if (!Array.isArray(value)) {
            if (norm === 'user' || norm === 'actor') readUserObject(value as Fields, found);
            next.push(value as Fields);
          }
          continue;
        }
        if (norm === 'traceparent') readTraceparent(value, found);
        const name = aliasToName.get(norm);
        if (name === undefined || found[name] !== undefined) continue;
        const text = canonicalValue(name, norm, value);
        if (text !== undefined) found[name] = text;
      }
    }
    level = next;
  }
  return found;
}

function canonicalValue(name: CanonicalName, norm: string, value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  switch (name) {
    case 'client_ip':
      return text.split(',')[0]!.trim(); // X-Forwarded-For: the client is the first hop
    case 'path':
      return pathOf(text);
    case 'method':
      return /^[A-Za-z]{3,10}$/.test(text) ? text.toUpperCase() : undefined;
    case 'status':
      return /^[1-5]\d\d$/.test(text) ? text : undefined;
    case 'duration_ms':
      return durationMs(norm, value);
    default:
      return text;
  }
}

/** `https://host/a/b?x=1` and `/a/b?x=1` both give `/a/b`. */
function pathOf(url: string): string {
  const noScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  const end = noScheme.search(/[?#]/);
  return (end >= 0 ? noScheme.slice(0, end) : noScheme) || '/';
}

const durationUnitsMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** Keys ending in `ms` hold milliseconds; bare `duration`/`latency` need a unit (`12ms`, `1.5s`). */
function durationMs(norm: string, value: unknown): string | undefined {
  if (norm.endsWith('ms')) {
    const n = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(n) ? String(n) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m)$/.exec(value.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * durationUnitsMs[m[2]!]!;
  return String(Math.round(ms * 1000) / 1000);
}

/** W3C `traceparent: 00-<trace-id>-<parent-id>-<flags>`. */
function readTraceparent(value: unknown, found: RequestContext): void {
  if (typeof value !== 'string') return;
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value.trim());
  if (m === null) return;
  found.trace_id ??= m[1]!;
  found.span_id ??= m[2]!;
}

/** `{"user":{"id":42,"name":"alice"}}`: the id and the name, never other personal fields. */
function readUserObject(user: Fields, found: RequestContext): void {
  const id = user.id ?? user.user_id ?? user.userId;
  if ((typeof id === 'string' || typeof id === 'number') && found.user_id === undefined)
    found.user_id = String(id);
  const name = user.username ?? user.name ?? user.login;
  if (typeof name === 'string' && found.user === undefined) found.user = name;
}

/** The raw level value of a line, if it has one (top level only: that is where loggers put it). */
export function rawLevel(fields: Fields): unknown {
  for (const [key, value] of Object.entries(fields)) if (levelKeys.has(normaliseKey(key))) return value;
  return undefined;
}
