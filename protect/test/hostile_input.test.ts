/**
 * Attackers choose what we scan. Inputs built from the characters each pattern
 * backtracks on (quotes, `<a on`, `../`, digit runs, PEM headers) must finish: an
 * exponential pattern would hang here until the test timeout. A linear one takes
 * milliseconds. (No wall-clock threshold: the timeout is the failure.)
 */
import { describe, expect, it } from 'vitest';
import {
  createRedactor,
  createSecurityDetector,
  inspectRequest,
  readFields,
  requestContext,
} from '../src/index.js';

const alphabets = [
  'a.@-',
  'a="x ',
  'k=\\" ',
  '<a on',
  'key: ',
  '%25%',
  "a'-- ",
  "' or '",
  '../',
  '\'"or 1=1',
  'select(',
  '; cat',
  '&#x3c;',
  '4111 -',
  '+1 (',
  'eyJa.',
  'password="\\ ',
  '-----BEGIN PRIVATE KEY-----\\n',
  '://a:b',
  '"a":"',
];

/** Deterministic pseudo-random mix of an alphabet (a fixed LCG: same input every run). */
function mix(alphabet: string, length: number): string {
  let state = 42;
  let out = '';
  while (out.length < length) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

describe('hostile input', () => {
  const redactor = createRedactor();
  const detector = createSecurityDetector();

  it.each(alphabets)('redacts and inspects 64 KB built from %j in linear time', (alphabet) => {
    for (const text of [
      mix(alphabet, 64 * 1024),
      alphabet.repeat(Math.ceil((64 * 1024) / alphabet.length)),
    ]) {
      expect(typeof redactor.redact(text)).toBe('string');
      expect(Array.isArray(inspectRequest({ path: text, query: text, body: text, headers: [text] }))).toBe(
        true,
      );
      expect(
        Array.isArray(detector.inspect(JSON.stringify({ method: 'POST', path: '/x', body: text }), 0)),
      ).toBe(true);
      expect(Array.isArray(detector.inspect(text, 0))).toBe(true);
      expect(typeof requestContext(readFields(text) ?? {})).toBe('object');
    }
  });
});
