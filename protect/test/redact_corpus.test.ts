/**
 * The redaction promise measured on our own corpus: every secret found (recall
 * 100 %), and not one clean line changed (UUIDs, SHAs, IPs, order numbers,
 * timestamps, durations, levels stay).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../src/index.js';

interface SecretLine {
  kind: string;
  format: string;
  detector: string;
  line: string;
  secrets: string[];
}

const corpus = (name: string) => readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8');
const secretLines: SecretLine[] = corpus('secrets.jsonl')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as SecretLine);
const cleanLines = corpus('clean.txt')
  .split('\n')
  .filter((l) => l.trim() !== '');

describe('redaction corpus', () => {
  const redactor = createRedactor();

  it('covers at least 20 kinds of secrets and 50 clean lines', () => {
    expect(new Set(secretLines.map((s) => s.kind)).size).toBeGreaterThanOrEqual(20);
    expect(cleanLines.length).toBeGreaterThanOrEqual(50);
  });

  it('removes every secret of every kind (recall 100 %)', () => {
    const missed: string[] = [];
    for (const s of secretLines) {
      const out = redactor.redact(s.line) ?? '';
      for (const secret of s.secrets) if (out.includes(secret)) missed.push(`${s.kind}/${s.format}: ${out}`);
    }
    const total = secretLines.reduce((n, s) => n + s.secrets.length, 0);
    console.log(
      `redact recall: ${(((total - missed.length) / total) * 100).toFixed(1)} % of ${total} secrets`,
    );
    expect(missed).toEqual([]);
  });

  it('names the detector that found each secret in the mask', () => {
    const wrong = secretLines
      .map((s) => ({ s, out: redactor.redact(s.line) ?? '' }))
      .filter(({ s, out }) => !out.includes(`[REDACTED:${s.detector}]`))
      .map(({ s, out }) => `${s.kind}/${s.format} expected ${s.detector}: ${out}`);
    expect(wrong).toEqual([]);
  });

  it('changes no clean line', () => {
    const changed = cleanLines
      .map((line) => ({ line, out: redactor.redact(line) }))
      .filter(({ line, out }) => out !== line)
      .map(({ out }) => out);
    console.log(`redact clean lines changed: ${changed.length} of ${cleanLines.length}`);
    expect(changed).toEqual([]);
  });

  it('keeps JSON lines valid JSON', () => {
    for (const s of secretLines.filter((s) => s.format === 'json')) {
      expect(() => JSON.parse(redactor.redact(s.line) ?? '')).not.toThrow();
    }
  });
});
