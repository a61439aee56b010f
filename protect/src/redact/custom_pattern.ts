/**
 * User-defined detectors from configuration. Patterns use the RE2 syntax Promtail
 * users know; the parts JavaScript spells differently (`(?P<name>`, a leading `(?i)`)
 * are translated. The whole match is the secret; use a lookbehind to keep context.
 */
import { ProtectConfigError } from '../config_error.js';
import type { Detector } from './detector.js';

export interface CustomPattern {
  /** Appears in `[REDACTED:<name>]` and metrics. */
  name: string;
  /** The regular expression. */
  regex: string;
}

export function customDetector(pattern: CustomPattern, field: string): Detector {
  if (!/^[a-z][a-z0-9_]*$/.test(pattern.name)) {
    throw new ProtectConfigError(
      `${field}.name`,
      `name must be snake_case letters, digits, _ (got "${pattern.name}")`,
    );
  }
  let source = pattern.regex.replace(/\(\?P</g, '(?<');
  let flags = 'g';
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags += 'i';
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(`()(${source})`, flags);
  } catch (error) {
    throw new ProtectConfigError(
      `${field}.regex`,
      `invalid regular expression: ${(error as Error).message} (got "${pattern.regex}")`,
    );
  }
  if (compiled.test('')) {
    throw new ProtectConfigError(
      `${field}.regex`,
      `pattern matches the empty string (got "${pattern.regex}")`,
    );
  }
  return { name: pattern.name, keywords: [], pattern: compiled };
}
