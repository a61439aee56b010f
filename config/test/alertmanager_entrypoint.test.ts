import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '@whodunit/testkit';
import { alertmanagerText, amtool } from './alertmanager_config.js';
import { commandArgs, hostPathOf, loadCompose } from './compose_file.js';
import { runEntrypoint, shells, webhookFilesAsUrls, type EntrypointRun } from './alertmanager_entrypoint.js';

interface Receiver {
  name: string;
  discord_configs?: { webhook_url_file?: string }[];
  email_configs?: { to?: string }[];
}
interface AlertmanagerConfig {
  global: Record<string, unknown>;
  receivers: Receiver[];
}

/** Receiver name -> the webhook_url_file of its Discord config. */
function webhookFiles(config: AlertmanagerConfig): Record<string, string | undefined> {
  return Object.fromEntries(
    config.receivers
      .filter((r) => r.discord_configs)
      .map((r) => [r.name, r.discord_configs?.[0]?.webhook_url_file]),
  );
}

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

/** `amtool check-config` (0.25) on the rendered file, beside it so templates/ resolves. */
async function checkRendered(run: EntrypointRun): Promise<{ code: number; output: string }> {
  const file = join(run.runDir, 'check-0.25.yml');
  await writeFile(file, webhookFilesAsUrls(run.rendered));
  return amtool(['check-config', file]);
}

// Secrets with characters special to sed (/ & | \), to YAML (' " : # { }) and to the shell ($ `).
const smtp = {
  SMTP_SMARTHOST: 'smtp.example.net:465',
  SMTP_FROM: `O'Brien "alerts" <a/b&c|d\\e@example.net>`,
  SMTP_TO: `oncall+db@example.net, 'boss'@example.net`,
  SMTP_USERNAME: 'user: #1 {x}',
  SMTP_PASSWORD: `p'a"s/s&w|o\\rd: #$HOME \`id\``,
};
const sharedUrl = 'https://discord.com/api/webhooks/111/shared-token';
const securityUrl = 'https://discord.com/api/webhooks/222/security-token?thread_id=7';
const databaseUrl = 'https://discord.com/api/webhooks/333/database-token?wait=false';

describe.each(shells)('config/alertmanager/entrypoint.sh under $name', ({ command: shell }) => {
  let composeArgs: string[];
  let committed: string;
  const runs: EntrypointRun[] = [];
  const run = async (env: Record<string, string> = {}): Promise<EntrypointRun> => {
    const result = await runEntrypoint(shell, composeArgs, env);
    runs.push(result);
    return result;
  };

  beforeAll(async () => {
    committed = await alertmanagerText();
    const { compose } = await loadCompose();
    const service = compose.services.alertmanager!;
    // The service's own command, its --config.file read through the bind mount.
    composeArgs = commandArgs(service).map((arg) => {
      if (!arg.startsWith('--config.file=')) return arg;
      const host = hostPathOf(service, arg.slice('--config.file='.length));
      expect(host, `${arg} is not mounted`).toBeDefined();
      return `--config.file=${repoPath(host!)}`;
    });
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => rm(r.dir, { recursive: true, force: true })));
  });

  it('with no environment renders the committed file unchanged and starts Alertmanager on the copy', async () => {
    const result = await run();
    expect(result.code, result.output).toBe(0);
    expect(result.rendered).toBe(committed);
    expect(result.args).toEqual(
      composeArgs.map((arg) =>
        arg.startsWith('--config.file=') ? `--config.file=${join(result.runDir, 'alertmanager.yml')}` : arg,
      ),
    );
    expect(await readdir(join(result.runDir, 'secrets'))).toEqual([]);
    const check = await checkRendered(result);
    expect(check.code, check.output).toBe(0);
    expect(check.output).toMatch(/\b1 templates\b/);
  });

  it('writes DISCORD_WEBHOOK_URL for every channel and DISCORD_WEBHOOK_URL_<CHANNEL> over it, with wait=true', async () => {
    const result = await run({
      DISCORD_WEBHOOK_URL: sharedUrl,
      DISCORD_WEBHOOK_URL_SECURITY: securityUrl,
      DISCORD_WEBHOOK_URL_DATABASE: databaseUrl,
    });
    expect(result.code, result.output).toBe(0);
    const secrets = join(result.runDir, 'secrets');
    const file = (channel: string) => join(secrets, `discord-${channel}.url`);
    expect(webhookFiles(parse(result.rendered) as AlertmanagerConfig)).toEqual({
      wipe: file('critical'),
      critical: file('critical'),
      'discord-security': file('security'),
      'discord-database': file('database'),
      'discord-performance': file('performance'),
    });
    const contents = async (channel: string) => readFile(file(channel), 'utf8');
    expect(await contents('critical')).toBe(`${sharedUrl}?wait=true`);
    expect(await contents('performance')).toBe(`${sharedUrl}?wait=true`);
    expect(await contents('security')).toBe(`${securityUrl}&wait=true`);
    expect(await contents('database')).toBe(databaseUrl);
    for (const name of await readdir(secrets)) expect(await mode(join(secrets, name)), name).toBe(0o600);
    expect(await mode(secrets)).toBe(0o700);
    expect(await mode(join(result.runDir, 'alertmanager.yml'))).toBe(0o600);
    // Nothing but the webhook lines changed; SMTP keeps the committed file's settings.
    const changed = committed.split('\n').filter((line, i) => line !== result.rendered.split('\n')[i]);
    for (const line of changed) expect(line.trim()).toMatch(/^- webhook_url_file: /);
    const check = await checkRendered(result);
    expect(check.code, check.output).toBe(0);
  });

  it('takes SMTP_* with quotes, slashes, ampersands and backslashes as exactly those values', async () => {
    const result = await run(smtp);
    expect(result.code, result.output).toBe(0);
    const rendered = parse(result.rendered) as AlertmanagerConfig;
    const passwordFile = join(result.runDir, 'secrets', 'smtp-password');
    expect(rendered.global).toMatchObject({
      smtp_smarthost: smtp.SMTP_SMARTHOST,
      smtp_from: smtp.SMTP_FROM,
      smtp_auth_username: smtp.SMTP_USERNAME,
      smtp_auth_password_file: passwordFile,
    });
    const recipients = rendered.receivers.flatMap((r) => (r.email_configs ?? []).map((e) => e.to));
    expect(recipients).toEqual([smtp.SMTP_TO, smtp.SMTP_TO]);
    expect(await readFile(passwordFile, 'utf8')).toBe(smtp.SMTP_PASSWORD);
    expect(await mode(passwordFile)).toBe(0o600);
    // No key added, none lost: the document is the committed one with those five values.
    const expected = parse(committed) as AlertmanagerConfig;
    Object.assign(expected.global, rendered.global);
    for (const receiver of expected.receivers)
      for (const email of receiver.email_configs ?? []) email.to = smtp.SMTP_TO;
    expect(rendered).toEqual(expected);
    const check = await checkRendered(result);
    expect(check.code, check.output).toBe(0);
  });

  it('refuses a value with a line break, naming the variable and not the value', async () => {
    const result = await run({ SMTP_FROM: 'a@example.net\nsmtp_require_tls: false' });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('SMTP_FROM holds a line break');
    expect(result.output).not.toContain('smtp_require_tls');
    expect(result.args).toEqual([]);
  });

  it('never prints a secret nor passes one on the command line', async () => {
    const secrets = { ...smtp, DISCORD_WEBHOOK_URL: sharedUrl, DISCORD_WEBHOOK_URL_SECURITY: securityUrl };
    const broken = { ...secrets, DISCORD_WEBHOOK_URL_CRITICAL: `${sharedUrl}\nsecond line` };
    for (const result of [await run(secrets), await run(broken)]) {
      for (const value of [smtp.SMTP_PASSWORD, sharedUrl, securityUrl, 'shared-token', 'security-token']) {
        expect(result.output).not.toContain(value);
        expect(result.args.join(' ')).not.toContain(value);
      }
    }
    expect(runs[1]?.output).toContain('DISCORD_WEBHOOK_URL_CRITICAL holds a line break');
  });
});
