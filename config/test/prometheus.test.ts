import { readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyConfig, repoPath } from '@whodunit/testkit';
import { runTool } from './command.js';

const prometheusFile = repoPath('config/prometheus/prometheus.yml');
const rulesDir = repoPath('config/prometheus/rules');
const promtool = (args: string[], cwd?: string) => runTool('promtool', 'prometheus', args, cwd);

describe('config/prometheus', () => {
  it('passes `promtool check config`, rule files included', async () => {
    const result = await promtool(['check', 'config', prometheusFile]);
    expect(result.output).toMatch(/SUCCESS: [1-9]\d* rule files found/);
    expect(result.code, result.output).toBe(0);
  });

  it('has a `promtool test rules` file beside every rule file, and every one passes', async () => {
    const files = await readdir(rulesDir);
    const ruleFiles = files.filter((f) => f.endsWith('.rules.yml'));
    expect(ruleFiles.length).toBeGreaterThan(0);
    for (const ruleFile of ruleFiles) {
      const testFile = ruleFile.replace(/\.rules\.yml$/, '.rules.test.yml');
      expect(files, `${ruleFile} has no ${testFile} beside it`).toContain(testFile);
      const result = await promtool(['test', 'rules', testFile], rulesDir);
      expect(result.code, result.output).toBe(0);
    }
  });

  it('rejects a misspelt key, naming the file and the key', async () => {
    const { dir, file } = await copyConfig(prometheusFile, {
      'scrape_interval: 15s': 'scrape_intervall: 15s',
    });
    try {
      const result = await promtool(['check', 'config', file]);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(file);
      expect(result.output).toContain('scrape_intervall');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a rule file with a broken expression, naming the rule file', async () => {
    const { dir } = await copyConfig(prometheusFile);
    try {
      const broken = join(dir, 'rules', 'broken.rules.yml');
      await writeFile(broken, 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: up ==\n');
      const result = await promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(join(dirname(broken), 'broken.rules.yml'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
