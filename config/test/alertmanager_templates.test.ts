import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '@whodunit/testkit';
import { alertmanagerText, amtool, templateGlob } from './alertmanager_config.js';
import { discordLimits, templateData, wipeAlert, type TemplateAlert } from './alertmanager_template_data.js';

const templateFile = repoPath('config/alertmanager/templates/whodunit.tmpl');

const definedNames = (text: string) => [...text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]!);
const usedNames = (text: string) => [...text.matchAll(/\{\{-?\s*template\s+"([^"]+)"/g)].map((m) => m[1]!);

describe('config/alertmanager/templates/whodunit.tmpl', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'whodunit-am-template-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Renders one named template with `amtool template render` over these alerts. */
  async function render(name: string, alerts: TemplateAlert[]): Promise<string> {
    const dataFile = join(dir, `data-${name}-${alerts.length}.json`);
    await writeFile(dataFile, JSON.stringify(templateData(alerts)));
    const result = await amtool([
      'template',
      'render',
      `--template.glob=${templateGlob}`,
      `--template.data=${dataFile}`,
      `--template.text={{ template "${name}" . }}`,
    ]);
    expect(result.code, result.output).toBe(0);
    return result.stdout.replace(/\n$/, '');
  }

  it('defines every template a receiver names (check-config does not notice a missing one)', async () => {
    const config = await alertmanagerText();
    const templates = await readFile(templateFile, 'utf8');
    const used = usedNames(config);
    expect(used).toEqual(expect.arrayContaining(['whodunit.discord.title', 'whodunit.discord.message']));
    const defined = new Set(definedNames(templates));
    expect([...used, ...usedNames(templates)].filter((name) => !defined.has(name))).toEqual([]);
    // Every receiver's Discord title and message go through our templates.
    const receivers = (parse(config) as { receivers: { discord_configs?: Record<string, string>[] }[] })
      .receivers;
    for (const discord of receivers.flatMap((r) => r.discord_configs ?? [])) {
      expect(discord.title).toBe('{{ template "whodunit.discord.title" . }}');
      expect(discord.message).toBe('{{ template "whodunit.discord.message" . }}');
    }
  });

  it('names its templates whodunit.discord.* (public) or __whodunit_* (private)', async () => {
    const names = definedNames(await readFile(templateFile, 'utf8'));
    expect(names.filter((name) => !/^(whodunit\.discord\.[a-z]+|__whodunit_[a-z_]+)$/.test(name))).toEqual(
      [],
    );
  });

  it('titles a wipe with its severity and what happened', async () => {
    const title = await render('whodunit.discord.title', [wipeAlert()]);
    expect(title).toBe('[CRITICAL] MassDelete: mallory deleted 500 rows from games');
  });

  it('tells who, what, when and which request, with links to the forensic view and the runbook', async () => {
    const message = await render('whodunit.discord.message', [wipeAlert()]);
    expect(message).toContain('**Who:** app user `mallory` · DB user `app_rw` · IP `203.0.113.7`');
    expect(message).toContain('**What:** DELETE on `games`, rows: 500');
    expect(message).toContain('**When:** 2026-11-23 17:04:05 UTC');
    expect(message).toContain('**Correlation id:** `req-7f3a9c21`');
    expect(message).toContain('[Runbook](https://example.org/docs/runbooks/MassDelete.md)');
    const forensic = /\[Forensic view\]\((http:\/\/localhost:3000\/explore\?[^)]+)\)/.exec(message);
    expect(forensic, message).not.toBeNull();
    const left = JSON.parse(new URL(forensic![1]!).searchParams.get('left')!) as {
      datasource: string;
      queries: { expr: string }[];
    };
    expect(left.datasource).toBe('loki');
    expect(left.queries[0]!.expr).toBe('{job=~".+"} |= "req-7f3a9c21"');
  });

  it('leaves out the who, what and request lines of an alert that has none of their fields', async () => {
    const burst: TemplateAlert = {
      ...wipeAlert(),
      labels: {
        alertname: 'FailedLoginBurst',
        severity: 'warning',
        category: 'security',
        type: 'failed_login_burst',
      },
      annotations: {
        summary: '2 failed-login bursts in 5 minutes',
        runbook_url: 'https://example.org/docs/runbooks/FailedLoginBurst.md',
      },
    };
    const message = await render('whodunit.discord.message', [burst]);
    expect(message).toContain('**FailedLoginBurst**: 2 failed-login bursts in 5 minutes');
    expect(message).toContain('**When:** 2026-11-23 17:04:05 UTC');
    expect(message).not.toMatch(/\*\*Who:|\*\*What:|\*\*Correlation id:|`-`/);
    expect(message).toContain('[Runbook](https://example.org/docs/runbooks/FailedLoginBurst.md)');
  });

  it("prefers the alert's own Grafana link, and leaves out a link too long to be whole", async () => {
    const own = wipeAlert();
    own.annotations.grafana_url = 'https://grafana.example.org/d/forensics?var-cid=req-7f3a9c21';
    expect(await render('whodunit.discord.message', [own])).toContain(
      '[Forensic view](https://grafana.example.org/d/forensics?var-cid=req-7f3a9c21)',
    );
    const long = wipeAlert({ runbook_url: `https://example.org/${'x'.repeat(400)}` });
    expect(await render('whodunit.discord.message', [long])).not.toContain('[Runbook]');
  });

  it('stays within Discord limits for huge values and 50 alerts, saying how many are left out', async () => {
    const huge = (c: string) => c.repeat(20_000);
    const alerts = Array.from({ length: 50 }, (_, i) =>
      wipeAlert({
        alertname: `MassDelete${huge('A')}`,
        user: `${i}${huge('u')}`,
        // Emoji count twice in Discord's (UTF-16) lengths.
        table: huge('\u{1F600}'),
        summary: huge('s\n'),
        db_user: huge('d'),
        operation: huge('o'),
        rows: huge('9'),
        ip: huge('1'),
        correlation_id: huge('c`'),
      }),
    );
    const title = await render('whodunit.discord.title', alerts);
    const message = await render('whodunit.discord.message', alerts);
    expect(title.length).toBeLessThanOrEqual(discordLimits.title);
    expect(message.length).toBeLessThanOrEqual(discordLimits.description);
    expect(title.length + message.length).toBeLessThanOrEqual(discordLimits.embed);
    expect(title).toContain('(50 alerts)');
    expect(message).toContain('… and 47 more (50 firing, 0 resolved in this group).');
    expect(message).toContain('app user `0uuuu');
    expect(message).not.toContain('app user `3uuuu');
    expect(message).toContain('on `????');
  });

  it('marks a resolved notification in the title', async () => {
    const resolved = { ...wipeAlert(), status: 'resolved' as const, endsAt: '2026-11-23T17:10:00Z' };
    expect(await render('whodunit.discord.title', [resolved])).toMatch(
      /^\[RESOLVED\] \[CRITICAL\] MassDelete/,
    );
  });
});
