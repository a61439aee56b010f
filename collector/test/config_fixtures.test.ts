/**
 * Broken (and one valid) config files, each with the exact diagnostics
 * expected beside it in `<name>.expected`, as --check-config prints them.
 * Regenerate with `UPDATE_FIXTURES=1 npx vitest run collector/test/config_fixtures.test.ts`,
 * then review the diff. The list of known stages (which grows as stages are
 * added) is compared as `<registry>`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../src/config/diagnostics.js';
import { loadConfigFile } from '../src/config/load.js';

const dir = new URL('./fixtures/config/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const stable = (text: string) => text.replace(/; known stages: [a-z_, ]+$/gm, '; known stages: <registry>');

describe('config fixtures', () => {
  for (const file of fixtures) {
    it(file, async () => {
      const path = new URL(file, dir).pathname;
      const { config, diagnostics } = await loadConfigFile(path, {
        expandEnv: file.includes('.expand-env.'),
        env: { TENANT: 'acme' },
      });
      const actual = stable(diagnostics.map((d) => formatDiagnostic(d) + '\n').join(''));
      const expectedFile = new URL(file.replace(/\.yaml$/, '.expected'), dir);
      if (process.env.UPDATE_FIXTURES === '1') writeFileSync(expectedFile, actual);
      expect(existsSync(expectedFile), `${expectedFile.pathname} is missing`).toBe(true);
      expect(actual).toBe(stable(readFileSync(expectedFile, 'utf8')));
      // A config is handed out exactly when there is no error.
      expect(config !== undefined).toBe(!diagnostics.some((d) => d.severity === 'error'));
    });
  }
});
