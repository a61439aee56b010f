import { z } from 'zod';
import { Secret } from '../secret.js';
import { parseDuration } from './duration.js';

const durationField = () =>
  z
    .unknown()
    .transform((value, ctx) => {
      const ms = typeof value === 'string' || value === 0 ? parseDuration(String(value)) : undefined;
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'invalid duration: use a Go duration such as 5s, 1m30s or 500ms',
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe('duration');

/** A Promtail duration string (`5s`, `1m30s`, `500ms`) as milliseconds; `defaultValue` when absent. */
export const duration = (defaultValue: string) => durationField().prefault(defaultValue);

/** An optional duration, in milliseconds. */
export const optionalDuration = () => durationField().optional();

/** A secret string: prints as `<secret>` everywhere (see secret.ts). */
export const secret = () => z.string().transform((value) => new Secret(value));

/** A URL that may carry a password: printed with the password hidden. */
export const secretUrl = () =>
  z.string().transform((value, ctx) => {
    if (!URL.canParse(value)) {
      ctx.addIssue({ code: 'custom', message: 'invalid URL' });
      return z.NEVER;
    }
    return Secret.url(value);
  });

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value: YAML numbers and booleans become strings, as Go's yaml does into a string field. */
export const labelValue = () => z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** Prometheus' model.LabelSet: valid label names, string values. */
export const labelSet = () =>
  z.record(z.string(), labelValue()).superRefine((labels, ctx) => {
    for (const name of Object.keys(labels)) {
      if (!LABEL_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a valid label name` });
      }
    }
  });

/** Marks a schema as one of Promtail's keys that whodunit accepts but does not implement. */
export const UNSUPPORTED = 'whodunit:unsupported';

/** Promtail's config keys for which whodunit has no implementation: accepted, warned about, ignored. */
export const unsupported = () => z.unknown().optional().describe(UNSUPPORTED);
