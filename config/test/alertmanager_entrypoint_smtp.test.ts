import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath, startAlertmanager, type AlertmanagerServer } from '@whodunit/testkit';
import { alertmanager025Replacements } from './alertmanager_config.js';
import { runEntrypoint, type EntrypointRun } from './alertmanager_entrypoint.js';
import { startSmtpStandIn, type SmtpStandIn } from './smtp_stand_in.js';

// Valid addresses (Alertmanager parses them) made of characters special to sed, YAML and sh.
const smtp = {
  SMTP_FROM: `O'Brien & Co "alerts" <a/b&c|d@example.net>`,
  SMTP_TO: `oncall+db@example.net, 'boss'@example.net`,
  SMTP_USERNAME: 'user: #1 {x}',
  SMTP_PASSWORD: `p'a"s/s&w|o\\rd: #$HOME \`id\``,
};

/**
 * End to end: the entrypoint renders the committed file with SMTP_* set, and Debian's
 * Alertmanager 0.25, started on that rendered file, logs in and sends a wipe's e-mail with them.
 * Rewritten for 0.25 and this machine: the webhook lines (0.25 has no webhook_url_file) and
 * smtp_require_tls (the stand-in has no STARTTLS).
 */
describe('Alertmanager on the config rendered by entrypoint.sh', () => {
  let smtpServer: SmtpStandIn;
  let rendered: EntrypointRun;
  let alertmanager: AlertmanagerServer;

  beforeAll(async () => {
    smtpServer = await startSmtpStandIn();
    rendered = await runEntrypoint(
      ['/bin/sh'],
      [`--config.file=${repoPath('config/alertmanager/alertmanager.yml')}`],
      {
        ...smtp,
        SMTP_SMARTHOST: `127.0.0.1:${smtpServer.port}`,
      },
    );
    expect(rendered.code, rendered.output).toBe(0);
    alertmanager = await startAlertmanager({
      configFile: join(rendered.runDir, 'alertmanager.yml'),
      replacements: {
        ...alertmanager025Replacements('http://127.0.0.1:9'),
        'smtp_require_tls: true': 'smtp_require_tls: false',
      },
    });
  });

  afterAll(async () => {
    await alertmanager?.stop();
    await smtpServer?.close();
    if (rendered) await rm(rendered.dir, { recursive: true, force: true });
  });

  it('sends the e-mail of a wipe with the SMTP login, sender and recipients of the environment', async () => {
    const post = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: {
            alertname: 'MassDelete',
            severity: 'critical',
            category: 'audit',
            kind: 'truncate',
            table: 'games',
            user: 'mallory',
          },
          annotations: { summary: 'games truncated' },
        },
      ]),
    });
    expect(post.status).toBe(200);
    const message = await smtpServer.message;
    expect(message.username).toBe(smtp.SMTP_USERNAME);
    expect(message.password).toBe(smtp.SMTP_PASSWORD);
    expect(message.from).toBe('a/b&c|d@example.net');
    expect(message.to).toEqual(['oncall+db@example.net', "'boss'@example.net"]);
    expect(message.data).toMatch(/^Subject: .*MassDelete/m);
  });
});
