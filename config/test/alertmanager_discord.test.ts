import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type AlertmanagerServer } from '@whodunit/testkit';
import { alertmanager025Replacements, alertmanagerFile } from './alertmanager_config.js';
import { discordLimits, wipeAlert } from './alertmanager_template_data.js';
import { DiscordStandIn, type DiscordPost } from '../../collector/test/support/discord_stand_in.js';

/** The first post to `channel` whose title matches. */
const titled =
  (channel: string, title: RegExp) =>
  (post: DiscordPost): boolean =>
    post.channel === channel && title.test(post.embeds[0]?.title ?? '');

interface ApiAlert {
  labels: Record<string, string>;
  status: { inhibitedBy: string[] };
}

describe('Alertmanager with config/alertmanager, Discord stood in for locally', () => {
  let discord: DiscordStandIn;
  let alertmanager: AlertmanagerServer;

  beforeAll(async () => {
    discord = await DiscordStandIn.start();
    alertmanager = await startAlertmanager({
      configFile: alertmanagerFile,
      replacements: alertmanager025Replacements(discord.url),
    });
  });

  afterAll(async () => {
    await alertmanager?.stop();
    await discord?.stop();
  });

  const post = async (alerts: object[]) => {
    const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(response.status).toBe(200);
  };

  it('posts a wipe to the critical channel with who, what, from where and which request', async () => {
    const { labels, annotations } = wipeAlert({ correlation_id: 'req-discord-1' });
    await post([{ labels, annotations, startsAt: new Date().toISOString() }]);
    const message = await discord.next(titled('critical', /MassDelete/));
    expect(message.wait).toBe('true');
    const [embed] = message.embeds;
    expect(embed!.title).toBe('[CRITICAL] MassDelete: mallory deleted 500 rows from games');
    for (const part of [
      '`mallory`',
      '`app_rw`',
      '`203.0.113.7`',
      'DELETE on `games`',
      'rows: 500',
      'req-discord-1',
    ])
      expect(embed!.description).toContain(part);
  });

  it('keeps a group of 50 alerts with huge values within Discord limits', { timeout: 20_000 }, async () => {
    const huge = 'x'.repeat(30_000);
    const alerts = Array.from({ length: 50 }, (_, i) => ({
      labels: {
        alertname: 'PrivilegeChange',
        severity: 'critical',
        category: 'security',
        user: `eve${huge}`,
        table: 'accounts',
        correlation_id: `req-${i}-${huge}`,
      },
      annotations: { summary: huge, ip: huge, rows: huge, runbook_url: `https://example.org/${huge}` },
    }));
    // One POST: all 50 are in the store before the critical route's 5 s group_wait ends.
    await post(alerts);
    const message = await discord.next(titled('security', /PrivilegeChange \(50 alerts\)/));
    const [embed] = message.embeds;
    expect(embed!.title.length).toBeLessThanOrEqual(discordLimits.title);
    expect(embed!.description.length).toBeLessThanOrEqual(discordLimits.description);
    expect(embed!.title.length + embed!.description.length).toBeLessThanOrEqual(discordLimits.embed);
    expect(embed!.description).toContain('… and 47 more');
  });

  it('inhibits database alerts while PostgreSQL is down, a warning under its critical, and the safety net under the fast path', async () => {
    const wipe = { alertname: 'MassDelete', severity: 'critical', category: 'audit', table: 'public.scores' };
    await post([
      // The collector's post of eve's wipe, and the Prometheus rule's alerts (no `kind`) for it
      // and for another user's wipe that the fast path did not report.
      { labels: { ...wipe, user: 'eve', kind: 'mass_delete', event_id: 's:41' } },
      { labels: { ...wipe, user: 'eve' } },
      { labels: { ...wipe, user: 'trent' } },
      { labels: { alertname: 'PostgresDown', severity: 'critical', category: 'database' } },
      {
        labels: { alertname: 'PostgresSlowQuery', severity: 'warning', category: 'database', table: 'games' },
      },
      { labels: { alertname: 'FailedLoginBurst', severity: 'critical', category: 'security', user: 'bob' } },
      { labels: { alertname: 'FailedLoginBurst', severity: 'warning', category: 'security', user: 'bob' } },
      { labels: { alertname: 'FailedLoginBurst', severity: 'warning', category: 'security', user: 'carol' } },
    ]);
    const inhibited = async () => {
      const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as ApiAlert[];
      return alerts
        .filter((a) => a.status.inhibitedBy.length > 0)
        .map((a) => `${a.labels.alertname} ${a.labels.severity} ${a.labels.user ?? a.labels.table}`)
        .sort();
    };
    // The inhibitor learns of source alerts asynchronously: poll until it has.
    let seen: string[] = [];
    for (let attempt = 0; attempt < 100 && seen.length < 3; attempt++) {
      seen = await inhibited();
      if (seen.length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toEqual([
      'FailedLoginBurst warning bob',
      'MassDelete critical eve',
      'PostgresSlowQuery warning games',
    ]);
  });
});
