import { readFileSync } from 'node:fs';
import { Counter, type Registry } from 'prom-client';
import { builtinDetectorNames, createRedactor, ProtectConfigError } from '@whodunit/protect';
import { z } from 'zod';
import { secret } from '../../config/fields.js';
import { droppedLines } from '../counters.js';
import { defineStage, StageConfigError } from '../stage.js';

/**
 * `redact` (whodunit, not in Promtail): no secret reaches Loki. `- redact: {}` turns
 * on every built-in detector (the library @whodunit/protect, also usable from the SDK):
 * sensitive keys at any depth of JSON and in logfmt, `k=v`, query strings and
 * `key: value` (password, passwd, pwd, secret, token, api_key, apikey, access_key,
 * private_key, client_secret, authorization, cookie, session, session_id), PEM
 * private keys (also with `\n` escaped inside JSON), AWS key ids and secret keys,
 * JWTs, `Bearer`/`Basic` credentials, passwords in URIs, Luhn-checked card numbers,
 * US SSNs, e-mail addresses, phone numbers, GitHub, GitLab, Slack, Stripe, Google,
 * npm and SendGrid tokens, session cookies. UUIDs, git SHAs, IP addresses, order
 * numbers, timestamps, durations and levels are left alone.
 *
 *   - mode: `mask` (default) writes `[REDACTED:<detector>]`; `hash` writes
 *     `[HASH:<detector>:<16 hex>]`, an HMAC-SHA256 keyed by `hash_key` (or the
 *     contents of `hash_key_file`), so one value can be followed across lines
 *     without being revealed; `drop_line` drops any line holding a secret
 *     (logentry_dropped_lines_total{reason="redact_stage"}).
 *   - enable / disable: detector names (all on by default; unknown names are an error).
 *   - extra_keys: more key names whose values are secrets (`ssn`, `pin`).
 *   - patterns: your own detectors, `{ name, regex }` (RE2 syntax); the whole match is replaced.
 *   - source: redact this extracted value instead of the line.
 *   Every secret found counts in `redactions_total{detector}`. Structured metadata
 *   values are redacted too. Put `redact` first: later stages then extract from the
 *   clean line, so no label or metadata can carry the secret on.
 *
 *   - redact: { disable: [phone] }
 *   line `{"user":"bob","password":"hunter2"}` -> `{"user":"bob","password":"[REDACTED:sensitive_key]"}`
 */
export const redact = defineStage({
  name: 'redact',
  schema: z.object({
    mode: z.enum(['mask', 'hash', 'drop_line']).default('mask'),
    enable: z.array(z.string()).optional(),
    disable: z.array(z.string()).optional(),
    extra_keys: z.array(z.string()).optional(),
    patterns: z.array(z.object({ name: z.string(), regex: z.string() })).optional(),
    hash_key: secret().optional(),
    hash_key_file: z.string().optional(),
    source: z.string().optional(),
  }),
  create(config, ctx) {
    if (config.hash_key !== undefined && config.hash_key_file !== undefined) {
      throw new StageConfigError('hash_key_file', 'give hash_key or hash_key_file, not both');
    }
    const hashKey = config.hash_key?.reveal() ?? readKeyFile(config.hash_key_file);
    let redactor;
    try {
      redactor = createRedactor({
        mode: config.mode,
        ...(config.enable === undefined ? {} : { enable: config.enable }),
        ...(config.disable === undefined ? {} : { disable: config.disable }),
        ...(config.extra_keys === undefined ? {} : { extraKeys: config.extra_keys }),
        ...(config.patterns === undefined ? {} : { patterns: config.patterns }),
        ...(hashKey === undefined ? {} : { hashKey }),
      });
    } catch (error) {
      if (error instanceof ProtectConfigError) throw new StageConfigError(error.field, error.message);
      throw error;
    }
    const found = redactionsCounter(ctx.metrics);
    const perDetector = new Map(
      [...builtinDetectorNames, ...(config.patterns ?? []).map((p) => p.name)].map((name) => [
        name,
        found.labels({ detector: name }),
      ]),
    );
    const onFinding = (detector: string) => perDetector.get(detector)?.inc();
    const dropped = droppedLines(ctx.metrics).labels({ reason: 'redact_stage' });
    const source = config.source;

    return {
      process(entry) {
        if (source !== undefined) {
          const value = entry.extracted[source];
          if (typeof value !== 'string') return entry;
          const clean = redactor.redact(value, onFinding);
          if (clean === undefined) return drop();
          entry.extracted[source] = clean;
        } else {
          const clean = redactor.redact(entry.line, onFinding);
          if (clean === undefined) return drop();
          entry.line = clean;
        }
        for (const [name, value] of Object.entries(entry.structuredMetadata)) {
          const clean = redactor.redact(value, onFinding);
          if (clean === undefined) return drop();
          entry.structuredMetadata[name] = clean;
        }
        return entry;
      },
    };

    function drop() {
      dropped.inc();
      return undefined;
    }

    function readKeyFile(path: string | undefined): string | undefined {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8').trim();
      } catch (error) {
        throw new StageConfigError('hash_key_file', `cannot read ${path}: ${(error as Error).message}`);
      }
    }
  },
});

function redactionsCounter(registry: Registry): Counter<'detector'> {
  const existing = registry.getSingleMetric('redactions_total');
  if (existing) return existing as Counter<'detector'>;
  return new Counter({
    name: 'redactions_total',
    help: 'Secrets and personal data replaced by the redact stage, by detector.',
    labelNames: ['detector'],
    registers: [registry],
  });
}
