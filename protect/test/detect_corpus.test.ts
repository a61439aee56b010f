/**
 * Injection detection measured on our own labelled corpus: recall on attack requests
 * (sqlmap-style SQL, encoded XSS, traversal variants, shell payloads) and false
 * positives on benign ones written to look dangerous (O'Brien, `a<b`, `rock & roll`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectRequest, type RequestParts } from '../src/index.js';

function requests(name: string): { raw: string; parts: RequestParts }[] {
  return readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((raw) => {
      const [request, body] = raw.split('\t') as [string, string | undefined];
      const target = request.slice(request.indexOf(' ') + 1);
      return { raw, parts: { path: target, ...(body === undefined ? {} : { body }) } };
    });
}

describe('injection detection corpus', () => {
  const attacks = requests('attacks.txt');
  const benign = requests('benign.txt');

  it('has at least 200 attack and 200 benign requests', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(200);
    expect(benign.length).toBeGreaterThanOrEqual(200);
  });

  it('detects at least 95 % of attacks with at most 1 % false positives', () => {
    const missed = attacks.filter((a) => inspectRequest(a.parts).length === 0).map((a) => a.raw);
    const flagged = benign
      .map((b) => ({ raw: b.raw, found: inspectRequest(b.parts) }))
      .filter((b) => b.found.length > 0)
      .map((b) => `${b.raw}  <- ${b.found.map((d) => d.reason).join('; ')}`);
    const recall = (attacks.length - missed.length) / attacks.length;
    const falsePositives = flagged.length / benign.length;
    console.log(
      `detect recall: ${(recall * 100).toFixed(1)} % (${attacks.length - missed.length}/${attacks.length}), ` +
        `false positives: ${(falsePositives * 100).toFixed(1)} % (${flagged.length}/${benign.length})`,
    );
    if (missed.length > 0) console.log(`missed:\n${missed.join('\n')}`);
    if (flagged.length > 0) console.log(`false positives:\n${flagged.join('\n')}`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(falsePositives).toBeLessThanOrEqual(0.01);
  });
});
