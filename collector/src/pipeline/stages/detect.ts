import { Counter, type Registry } from 'prom-client';
import {
  createSecurityDetector,
  mostSevere,
  ProtectConfigError,
  readFields,
  type Fields,
} from '@whodunit/protect';
import { z } from 'zod';
import { duration } from '../../config/fields.js';
import { cloneEntry } from '../entry.js';
import { defineStage, StageConfigError } from '../stage.js';

const positiveInt = () => z.number().int().positive();

/**
 * `detect` (whodunit, not in Promtail): security events. Looks at each line (JSON,
 * logfmt or access log; the detectors live in @whodunit/protect) for:
 *   sql_injection, xss, path_traversal, command_injection: in the request path,
 *     query string, body, User-Agent and Referer fields, after URL-decoding (also
 *     repeated), entity and escape decoding and case folding;
 *   failed_login_burst: `threshold` failed logins within `window`, per user and per IP;
 *   account_takeover: a successful login for a user or IP in such a burst;
 *   privilege_change: role/permission change events, new_role fields, GRANT/ALTER ROLE SQL;
 *   large_data_export: rows or bytes over `max_rows` / `max_bytes`;
 *   request_flood: more than `threshold` requests from one IP within `window`.
 * A detection adds structured metadata `security_event` (the most severe type),
 * `severity` (low|medium|high|critical) and `security_reason`, increments
 * `security_events_total{type,severity}` for Prometheus alert rules, and the stage
 * returns the entry plus a copy with the label `stream="security"`. Per-user and
 * per-IP windows are bounded by `max_keys` (least recently seen forgotten first);
 * time is the collector's clock.
 *
 *   - disable: detection types to turn off.
 *   - failed_logins: { threshold: 5, window: 1m, max_keys: 10000 }
 *   - request_flood: { threshold: 600, window: 1m, max_keys: 10000 }
 *   - data_export: { max_rows: 10000, max_bytes: 52428800 }
 *
 *   - detect: { failed_logins: { threshold: 3 } }
 *   line `{"method":"GET","path":"/search","query":"q=1' UNION SELECT password FROM users--"}`
 *   -> that entry with structured_metadata {security_event="sql_injection", severity="high",
 *      security_reason="UNION SELECT in query"}, and its copy with labels {stream="security"}.
 */
export const detect = defineStage({
  name: 'detect',
  schema: z
    .object({
      disable: z.array(z.string()).optional(),
      failed_logins: z
        .object({
          threshold: positiveInt().default(5),
          window: duration('1m'),
          max_keys: positiveInt().default(10_000),
        })
        .prefault({}),
      request_flood: z
        .object({
          threshold: positiveInt().default(600),
          window: duration('1m'),
          max_keys: positiveInt().default(10_000),
        })
        .prefault({}),
      data_export: z
        .object({
          max_rows: positiveInt().default(10_000),
          max_bytes: positiveInt().default(50 * 1024 * 1024),
        })
        .prefault({}),
    })
    .prefault({}),
  create(config, ctx) {
    let detector;
    try {
      detector = createSecurityDetector({
        ...(config.disable === undefined ? {} : { disable: config.disable }),
        failedLogins: {
          threshold: config.failed_logins.threshold,
          windowMs: config.failed_logins.window,
          maxKeys: config.failed_logins.max_keys,
        },
        requestFlood: {
          threshold: config.request_flood.threshold,
          windowMs: config.request_flood.window,
          maxKeys: config.request_flood.max_keys,
        },
        dataExport: { maxRows: config.data_export.max_rows, maxBytes: config.data_export.max_bytes },
      });
    } catch (error) {
      if (error instanceof ProtectConfigError) throw new StageConfigError(error.field, error.message);
      throw error;
    }
    const events = securityEventsCounter(ctx.metrics);
    return {
      process(entry) {
        const fields: Fields = readFields(entry.line) ?? {};
        const nowMs = Number(ctx.clock.now() / 1_000_000n);
        const found = detector.inspectFields(fields, entry.line, nowMs);
        const top = mostSevere(found);
        if (top === undefined) return entry;
        for (const d of found) events.labels({ type: d.type, severity: d.severity }).inc();
        entry.structuredMetadata.security_event = top.type;
        entry.structuredMetadata.severity = top.severity;
        entry.structuredMetadata.security_reason = found.map((d) => d.reason).join('; ');
        const copy = cloneEntry(entry);
        copy.labels.stream = 'security';
        return [entry, copy];
      },
    };
  },
});

function securityEventsCounter(registry: Registry): Counter<'type' | 'severity'> {
  const existing = registry.getSingleMetric('security_events_total');
  if (existing) return existing as Counter<'type' | 'severity'>;
  return new Counter({
    name: 'security_events_total',
    help: 'Security detections of the detect stage, by type and severity.',
    labelNames: ['type', 'severity'],
    registers: [registry],
  });
}
