/**
 * Every detection, behind one call per log line. Stateless checks (injections,
 * privilege changes, exports) look at the line alone; stateful ones (failed-login
 * bursts, takeovers, floods) keep bounded per-user and per-IP windows. Time comes
 * from the caller (`nowMs`), so tests and replays control the clock.
 *
 *   const detector = createSecurityDetector({ failedLogins: { threshold: 3 } });
 *   detector.inspect('{"event":"login_failed","user":"bob","ip":"10.0.0.9"}', Date.now());
 */
import { ProtectConfigError } from '../config_error.js';
import { requestContext, type RequestContext } from '../fields/canonical.js';
import { readFields, type Fields } from '../fields/read_fields.js';
import { authOutcome, userAndIpFromMessage } from './behaviour/auth_outcome.js';
import { dataExport, defaultDataExportOptions, type DataExportOptions } from './behaviour/data_export.js';
import {
  defaultFailedLoginOptions,
  FailedLoginTracker,
  type FailedLoginOptions,
} from './behaviour/failed_logins.js';
import { privilegeChange } from './behaviour/privilege_change.js';
import {
  defaultRequestFloodOptions,
  RequestFloodTracker,
  type RequestFloodOptions,
} from './behaviour/request_flood.js';
import type { Detection } from './detection.js';
import { inspectRequest, type RequestParts } from './payloads/inspect.js';

export const detectionTypes = [
  'sql_injection',
  'xss',
  'path_traversal',
  'command_injection',
  'failed_login_burst',
  'account_takeover',
  'privilege_change',
  'large_data_export',
  'request_flood',
] as const;

export interface SecurityDetectorOptions {
  /** Detection types to turn off (see `detectionTypes`). */
  disable?: readonly string[];
  failedLogins?: Partial<FailedLoginOptions>;
  requestFlood?: Partial<RequestFloodOptions>;
  dataExport?: Partial<DataExportOptions>;
}

export interface SecurityDetector {
  /** Reads the line's fields (JSON, access log, logfmt) and inspects them. */
  inspect(line: string, nowMs: number): Detection[];
  /** For callers that already hold the fields (the SDK, a stage after `json`). */
  inspectFields(fields: Fields, message: string, nowMs: number): Detection[];
  /** Users and IPs currently tracked, and how many were forgotten to stay bounded. */
  readonly trackedKeys: number;
  readonly evictedKeys: number;
}

const pathKeys = ['url', 'uri', 'request_uri', 'requestUri', 'path', 'request_path', 'request'];
const queryKeys = ['query', 'query_string', 'querystring', 'qs', 'args'];
const bodyKeys = ['body', 'request_body', 'requestBody', 'payload', 'form'];
const headerKeys = ['user_agent', 'userAgent', 'http_user_agent', 'referer', 'referrer', 'http_referer'];

export function createSecurityDetector(options: SecurityDetectorOptions = {}): SecurityDetector {
  for (const name of options.disable ?? []) {
    if (!(detectionTypes as readonly string[]).includes(name)) {
      throw new ProtectConfigError(
        'disable',
        `unknown detection "${name}" (known: ${detectionTypes.join(', ')})`,
      );
    }
  }
  const on = (type: (typeof detectionTypes)[number]) => !(options.disable ?? []).includes(type);
  const logins = new FailedLoginTracker(
    validated('failed_logins', { ...defaultFailedLoginOptions, ...options.failedLogins }),
  );
  const floods = new RequestFloodTracker(
    validated('request_flood', { ...defaultRequestFloodOptions, ...options.requestFlood }),
  );
  const exportLimits = validated('data_export', { ...defaultDataExportOptions, ...options.dataExport });
  const payloadsOn = on('sql_injection') || on('xss') || on('path_traversal') || on('command_injection');

  function inspectFields(fields: Fields, message: string, nowMs: number): Detection[] {
    const context = requestContext(fields);
    const found: Detection[] = [];
    if (payloadsOn) {
      const request = requestParts(fields);
      if (request !== undefined) found.push(...inspectRequest(request).filter((d) => on(d.type as never)));
    }
    const fromMessage = userAndIpFromMessage(message);
    const user = context.user ?? context.user_id ?? fromMessage.user;
    const ip = context.client_ip ?? fromMessage.ip;
    const outcome = authOutcome(fields, context, message);
    if (outcome === 'failure' && on('failed_login_burst')) found.push(...logins.failure(user, ip, nowMs));
    if (outcome === 'success' && on('account_takeover')) found.push(...logins.success(user, ip, nowMs));
    if (on('privilege_change')) {
      const change = privilegeChange(fields, message);
      if (change !== undefined) found.push(change);
    }
    if (on('large_data_export')) {
      const exported = dataExport(fields, exportLimits, who(user, ip));
      if (exported !== undefined) found.push(exported);
    }
    if (on('request_flood') && ip !== undefined && isRequest(context))
      found.push(...floods.request(ip, nowMs));
    return found;
  }

  return {
    inspect(line, nowMs) {
      return inspectFields(readFields(line) ?? {}, line, nowMs);
    },
    inspectFields,
    get trackedKeys() {
      return logins.trackedKeys + floods.trackedKeys;
    },
    get evictedKeys() {
      return logins.evictedKeys + floods.evictedKeys;
    },
  };
}

function validated<T extends object>(field: string, values: T): T {
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ProtectConfigError(`${field}.${key}`, `must be a positive number (got ${String(value)})`);
    }
  }
  return values;
}

const isRequest = (context: RequestContext) => context.method !== undefined || context.path !== undefined;

const who = (user: string | undefined, ip: string | undefined) =>
  `${user === undefined ? '' : ` by ${user}`}${ip === undefined ? '' : ` from ${ip}`}`;

const asText = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : value !== null && typeof value === 'object'
      ? JSON.stringify(value)
      : undefined;

function pick(fields: Fields, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = asText(fields[key]);
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** The attacker-controlled parts of a request log line, if it is one. */
function requestParts(fields: Fields): RequestParts | undefined {
  const nested = fields.req ?? fields.request ?? fields.http;
  const source =
    nested !== null && typeof nested === 'object' && !Array.isArray(nested)
      ? { ...(nested as Fields), ...fields }
      : fields;
  const path = pick(source, pathKeys);
  const query = pick(source, queryKeys);
  const body = pick(source, bodyKeys);
  const headers = headerKeys.flatMap((k) => {
    const v = asText(source[k]);
    return v === undefined ? [] : [v];
  });
  if (path === undefined && query === undefined && body === undefined && headers.length === 0)
    return undefined;
  return {
    ...(path === undefined ? {} : { path }),
    ...(query === undefined ? {} : { query }),
    ...(body === undefined ? {} : { body }),
    headers,
  };
}
