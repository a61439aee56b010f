/**
 * docs/errors.md names every reason a stage counts: each `countError('x')`,
 * failure reason and default drop reason written literally in a stage file
 * must appear in the page as `x`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const stagesDir = new URL('src/pipeline/stages/', root);
const page = readFileSync(new URL('docs/errors.md', root), 'utf8');

const REASON_PATTERNS = [
  /countError\('([a-z_]+)'\)/g,
  /fail\(entry, '([a-z_]+)'\)/g,
  /reason: '([a-z_]+)'/g,
  /\|\| '([a-z_]+_stage)'/g,
  /const DROP_REASON = '([a-z_]+)'/g,
];

function reasonsIn(file: string): string[] {
  const source = readFileSync(new URL(file, stagesDir), 'utf8');
  return REASON_PATTERNS.flatMap((re) => [...source.matchAll(re)].map((m) => m[1] as string));
}

describe('docs/errors.md', () => {
  const files = readdirSync(stagesDir).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
  it.each(files)('lists every reason counted in %s', (file) => {
    const missing = reasonsIn(file).filter((reason) => !page.includes(`\`${reason}\``));
    expect(missing).toEqual([]);
  });

  it('lists the pipeline and limits reasons', () => {
    for (const reason of ['stage_exception', 'line_too_long', 'global_rate_limiter_drop']) {
      expect(page).toContain(`\`${reason}\``);
    }
  });
});
