import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { copyConfig, repoPath } from '@whodunit/testkit';
import { runTool } from './command.js';

const alertmanagerFile = repoPath('config/alertmanager/alertmanager.yml');
const amtool = (args: string[]) => runTool('amtool', 'prometheus-alertmanager', args);

describe('config/alertmanager/alertmanager.yml', () => {
  it('passes `amtool check-config`', async () => {
    const result = await amtool(['check-config', alertmanagerFile]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('routes every alert, whatever its labels, to the local receiver (no Discord needed)', async () => {
    for (const labels of [
      ['severity=critical', 'category=audit'],
      ['severity=warning'],
      ['alertname=Anything'],
    ]) {
      const result = await amtool([
        'config',
        'routes',
        'test',
        `--config.file=${alertmanagerFile}`,
        ...labels,
      ]);
      expect(result.code, result.output).toBe(0);
      expect(result.stdout.trim()).toBe('local');
    }
  });

  it('rejects a misspelt key, naming the file and the key', async () => {
    const { dir, file } = await copyConfig(alertmanagerFile, { 'group_by:': 'group_bye:' });
    try {
      const result = await amtool(['check-config', file]);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(file);
      expect(result.output).toContain('group_bye');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
