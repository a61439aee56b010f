import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyConfig, repoPath } from '@whodunit/testkit';
import {
  alertmanager025Replacements,
  alertmanagerFile,
  alertmanagerText,
  amtool,
  discordChannels,
} from './alertmanager_config.js';

describe('config/alertmanager/alertmanager.yml', () => {
  let copy: { dir: string; file: string };

  beforeAll(async () => {
    copy = await copyConfig(alertmanagerFile, alertmanager025Replacements('http://127.0.0.1:9'));
  });

  afterAll(async () => {
    if (copy) await rm(copy.dir, { recursive: true, force: true });
  });

  it('passes `amtool check-config` (templates included) once the webhook files are 0.25 URLs', async () => {
    const result = await amtool(['check-config', copy.file]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
    expect(result.output).toMatch(/\b1 templates\b/);
  });

  it('differs from the tested copy only in the webhook lines', async () => {
    const committed = (await alertmanagerText()).split('\n');
    const tested = (await readFile(copy.file, 'utf8')).split('\n');
    expect(tested).toHaveLength(committed.length);
    const changed = committed.filter((line, i) => line !== tested[i]);
    expect(changed.length).toBeGreaterThanOrEqual(discordChannels.length);
    for (const line of changed) expect(line.trim()).toMatch(/^- webhook_url_file: \S+\.url$/);
    expect(tested.join('\n')).not.toMatch(/^\s*(- )?webhook_url_file:/m);
  });

  it('keeps every webhook URL and the SMTP password out of git, in files under secrets/', async () => {
    const text = await alertmanagerText();
    expect(text).not.toMatch(/discord(app)?\.com\/api\/webhooks/);
    expect(text).not.toMatch(/^\s*(- )?webhook_url:/m);
    expect(text).not.toMatch(/auth_password:/);
    for (const channel of discordChannels)
      expect(text).toContain(`webhook_url_file: /etc/alertmanager/secrets/discord-${channel}.url`);
    expect(text).toContain('smtp_auth_password_file: /etc/alertmanager/secrets/smtp-password');
    const ignore = await readFile(repoPath('config/alertmanager/secrets/.gitignore'), 'utf8');
    expect(ignore.split('\n')).toContain('*');
  });

  it('rejects a misspelt key, naming the file and the key', async () => {
    const { dir, file } = await copyConfig(alertmanagerFile, {
      ...alertmanager025Replacements('http://127.0.0.1:9'),
      'group_by:': 'group_bye:',
    });
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
