/**
 * docs/stages.md and docs/config.md are generated from the registry and the
 * config schemas; this fails when they drift
 * (run `npm run -w collector docs`), and when a registered stage has no cases
 * file or no doc comment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDoc } from '../src/docs/config_doc.js';
import { renderStagesDoc } from '../src/docs/stages_doc.js';
import { stages } from '../src/pipeline/stages/index.js';

const root = new URL('../', import.meta.url);
const stagesDir = new URL('src/pipeline/stages/', root);

describe('docs/config.md', () => {
  it('matches the config schemas (regenerate with `npm run -w collector docs`)', () => {
    expect(readFileSync(new URL('docs/config.md', root), 'utf8')).toBe(renderConfigDoc());
  });
});

describe('docs/stages.md', () => {
  it('matches the stage registry (regenerate with `npm run -w collector docs`)', () => {
    const page = readFileSync(new URL('docs/stages.md', root), 'utf8');
    expect(page).toBe(renderStagesDoc(stages, stagesDir));
  });

  it.each(Object.keys(stages))('stage %s has a cases file, a doc comment and its registry name', (name) => {
    expect(existsSync(new URL(`${name}.cases.yaml`, stagesDir)), `${name}.cases.yaml is missing`).toBe(true);
    expect(renderStagesDoc({ [name]: stages[name]! }, stagesDir)).not.toContain('(no doc comment)');
    expect(stages[name]?.name).toBe(name);
  });
});
