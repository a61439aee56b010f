/**
 * Values of sensitive keys, wherever the key appears: JSON at any depth (also JSON
 * escaped inside a JSON string), logfmt and `k=v`, query strings, `key: value`.
 * Works on the text, so formatting is kept and no parse is paid on clean lines.
 */
import type { Detector } from '../detector.js';

/** Key names whose value is a secret, in the list. A key matches when it ends with one. */
export const defaultSensitiveKeys: readonly string[] = [
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'api_key',
  'apikey',
  'access_key',
  'private_key',
  'client_secret',
  'authorization',
  'cookie',
  'session',
  'session_id',
  'sessionid',
];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `api_key` also matches `api-key`, `apiKey`, `API_KEY`, `x-api-key`, `stripe_api_key`. */
function keyAlternative(key: string): string {
  return key
    .toLowerCase()
    .split(/[_.-]/)
    .filter((part) => part.length > 0)
    .map(escapeRegExp)
    .join('[_.-]?');
}

/** Builds the detector for the default keys plus `extraKeys`. */
export function sensitiveKeyDetector(extraKeys: readonly string[] = []): Detector {
  const keys = [...new Set([...defaultSensitiveKeys, ...extraKeys].map((k) => k.toLowerCase()))];
  const alternatives = keys.map(keyAlternative).sort((a, b) => b.length - a.length);
  // Gate on the longest part of each key (`api_key` needs "key" somewhere), and drop
  // a keyword that contains another one: fewer substring scans per clean line.
  const parts = keys.map((key) =>
    key.split(/[_.-]/).reduce((longest, part) => (part.length >= longest.length ? part : longest), ''),
  );
  const keywords = [...new Set(parts)].filter(
    (k, _, all) => !all.some((other) => other !== k && k.includes(other)),
  );
  // key (any prefix, ends with a sensitive word), separator, then one value:
  // \"escaped\" | "double" | 'single' | bare (not an object/array, not a scheme word).
  const pattern = new RegExp(
    String.raw`((?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*?(?:` +
      alternatives.join('|') +
      String.raw`)\\?["']?\s*[:=]\s*)` +
      String.raw`(\\"(?:[^\\]|\\(?!"))*\\"|"(?:[^"\\]|\\.)*"|'[^']*'|(?!(?:Bearer|Basic|bearer|basic)\s)[^\s&,;"'{}\[\]\\][^\s&,;"'}\]\\]*)`,
    'gi',
  );
  return { name: 'sensitive_key', keywords, pattern };
}
