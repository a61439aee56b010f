import {
  canonicalNames,
  normaliseLevel,
  rawLevel,
  readFields,
  requestContext,
  type Fields,
} from '@whodunit/protect';
import { z } from 'zod';
import { defineStage } from '../stage.js';

/** A level word near the start of a plain-text line, upper case only so prose ("an error") is not taken. */
const textLevel = /\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRIT|CRITICAL|FATAL|PANIC|EMERG)\b/;
const textLevelSpan = 80;

/**
 * `context` (whodunit, not in Promtail): who, which request, which trace. Reads a
 * JSON or logfmt line (or a common/combined access-log line) and puts the usual
 * fields into structured metadata under one canonical name each. They are never
 * labels: ids and users are high-cardinality and would explode Loki's index.
 *
 *   correlation_id  <- correlation_id, correlationId, x-correlation-id
 *   request_id      <- request_id, requestId, x-request-id, req_id
 *   trace_id, span_id <- trace_id/traceId, span_id/spanId, or W3C `traceparent`
 *   user_id, user   <- user_id/userId/uid, user/username/login, or {"user":{"id","name"}}
 *   client_ip       <- client_ip, ip, remote_addr, x-forwarded-for (first hop)...
 *   method, path (query removed), status, duration_ms (`duration_ms`, or `duration: 1.5s`)
 * Names match without case or separators; nested objects are searched too, the top
 * level winning. The level (`level`, `lvl`, `severity`; names, pino numbers, syslog
 * digits; an upper-case level word early in a text line) becomes the label `level`
 * with one of debug | info | warn | error | critical, which per-level retention and
 * sampling key on. A line with neither fields nor level passes unchanged.
 *
 *   - level_label: the label name (default `level`).
 *
 *   - context: {}
 *   line `{"level":"WARNING","requestId":"r-1","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","user":{"id":42}}`
 *   -> labels {level="warn"}, structured_metadata {request_id="r-1", trace_id="4bf9...4736", span_id="00f0...02b7", user_id="42"}
 */
export const context = defineStage({
  name: 'context',
  schema: z
    .object({
      level_label: z
        .string()
        .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a valid label name')
        .default('level'),
    })
    .prefault({}),
  create(config) {
    const levelLabel = config.level_label;
    return {
      process(entry) {
        const fields: Fields | undefined = readFields(entry.line);
        if (fields !== undefined) {
          const found = requestContext(fields);
          for (const name of canonicalNames) {
            const value = found[name];
            if (value !== undefined) entry.structuredMetadata[name] = value;
          }
        }
        const level =
          normaliseLevel(fields === undefined ? undefined : rawLevel(fields)) ??
          normaliseLevel(textLevel.exec(entry.line.slice(0, textLevelSpan))?.[1]) ??
          normaliseLevel(entry.labels[levelLabel]);
        if (level !== undefined) entry.labels[levelLabel] = level;
        return entry;
      },
    };
  },
});
