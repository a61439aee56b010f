import { rm } from 'node:fs/promises';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyConfig } from '@whodunit/testkit';
import {
  alertmanager025Replacements,
  alertmanagerFile,
  alertmanagerText,
  amtool,
} from './alertmanager_config.js';

/** Label sets and the receivers `amtool config routes test` must name, in order: the routing table. */
const routingTable: [labels: string[], receivers: string][] = [
  // Wipes: their own fast routes, Discord and e-mail, nothing else (so the critical channel gets
  // one message, not two).
  [['alertname=MassDelete', 'severity=critical', 'category=audit', 'kind=mass_delete'], 'wipe,wipe-email'],
  [['alertname=TableTruncated', 'severity=critical', 'category=audit', 'kind=truncate'], 'wipe,wipe-email'],
  [['alertname=TableDropped', 'severity=critical', 'category=audit', 'kind=drop'], 'wipe,wipe-email'],
  // An audit alert that is not a wipe: the security channel.
  [
    ['alertname=UnusualExport', 'severity=warning', 'category=audit', 'kind=export'],
    'discord-security,local',
  ],
  [['alertname=MassUpdate', 'severity=critical', 'category=audit'], 'critical,discord-security,local'],
  // A wipe label on another category is no wipe.
  [['alertname=X', 'severity=warning', 'category=database', 'kind=drop'], 'discord-database,local'],
  // By category, every severity; critical also to the critical channel and e-mail.
  [['alertname=FailedLoginBurst', 'severity=warning', 'category=security'], 'discord-security,local'],
  [
    ['alertname=PrivilegeChange', 'severity=critical', 'category=security'],
    'critical,discord-security,local',
  ],
  [['alertname=PostgresSlowQuery', 'severity=warning', 'category=database'], 'discord-database,local'],
  [['alertname=PostgresDown', 'severity=critical', 'category=database'], 'critical,discord-database,local'],
  [['alertname=HighErrorRate', 'severity=warning', 'category=application'], 'discord-performance,local'],
  [
    ['alertname=HighLatency', 'severity=critical', 'category=application'],
    'critical,discord-performance,local',
  ],
  [['alertname=TargetDown', 'severity=warning', 'category=platform'], 'discord-performance,local'],
  [['alertname=SpoolFull', 'severity=critical', 'category=platform'], 'critical,discord-performance,local'],
  // Unknown or missing labels: still seen, locally.
  [['alertname=Anything'], 'local'],
  [['alertname=Other', 'severity=critical'], 'critical,local'],
  [['alertname=Other', 'severity=info', 'category=unknown'], 'local'],
];

interface Route {
  receiver?: string;
  matchers?: string[];
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  continue?: boolean;
  routes?: Route[];
}
interface Receiver {
  name: string;
  discord_configs?: { send_resolved?: boolean; title?: string; message?: string }[];
  email_configs?: { send_resolved?: boolean }[];
}
interface Config {
  route: Route;
  receivers: Receiver[];
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal?: string[] }[];
}

describe('routing of config/alertmanager/alertmanager.yml', () => {
  let copy: { dir: string; file: string };
  let config: Config;

  beforeAll(async () => {
    copy = await copyConfig(alertmanagerFile, alertmanager025Replacements('http://127.0.0.1:9'));
    config = parse(await alertmanagerText()) as Config;
  });

  afterAll(async () => {
    if (copy) await rm(copy.dir, { recursive: true, force: true });
  });

  it.each(routingTable)('routes %j to %s', async (labels, receivers) => {
    const result = await amtool(['config', 'routes', 'test', `--config.file=${copy.file}`, ...labels]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout.trim()).toBe(receivers);
  });

  it('has a routing-table case for every receiver', () => {
    const tested = new Set(routingTable.flatMap(([, receivers]) => receivers.split(',')));
    expect(config.receivers.map((r) => r.name).filter((name) => !tested.has(name))).toEqual([]);
  });

  it('sends wipes at once, one message per wipe, redelivered after 1 s, never "resolved"', () => {
    const routes = config.route.routes ?? [];
    const discord = routes.findIndex((r) => r.receiver === 'wipe');
    // Discord and e-mail in groups of their own: a hanging SMTP server cannot delay Discord.
    expect(routes[discord]).toMatchObject({ continue: true });
    expect(routes[discord + 1]).toMatchObject({ receiver: 'wipe-email' });
    expect(routes[discord + 1]?.continue).toBeUndefined();
    for (const route of [routes[discord], routes[discord + 1]]) {
      expect(route).toMatchObject({ group_by: ['...'], group_wait: '0s', group_interval: '1s' });
      expect(route?.matchers).toEqual(['category="audit"', 'kind=~"mass_delete|truncate|drop"']);
    }
    const wipe = config.receivers.find((r) => r.name === 'wipe');
    const email = config.receivers.find((r) => r.name === 'wipe-email');
    expect([wipe?.discord_configs?.length, wipe?.email_configs]).toEqual([1, undefined]);
    expect([email?.email_configs?.length, email?.discord_configs]).toEqual([1, undefined]);
    for (const c of [...(wipe?.discord_configs ?? []), ...(email?.email_configs ?? [])])
      expect(c.send_resolved).toBe(false);
  });

  it('sends critical alerts within seconds and batches warnings', () => {
    expect(config.route).toMatchObject({ group_wait: '1m', group_interval: '5m' });
    expect(config.route.group_by).toEqual(['alertname', 'table', 'user']);
    const critical = config.route.routes?.find((r) => r.receiver === 'critical');
    expect(critical).toMatchObject({ group_wait: '5s', continue: true });
    for (const route of config.route.routes ?? []) {
      if (!route.receiver?.startsWith('discord-')) continue;
      expect(route.continue).toBe(true);
      expect(route.routes).toEqual([
        expect.objectContaining({ matchers: ['severity="critical"'], group_wait: '5s' }),
      ]);
    }
  });

  it('reports resolved alerts everywhere but on the wipe routes', () => {
    const silent = ['wipe', 'wipe-email', 'local'];
    for (const receiver of config.receivers.filter((r) => !silent.includes(r.name))) {
      const configs = [...(receiver.discord_configs ?? []), ...(receiver.email_configs ?? [])];
      expect(configs.length, receiver.name).toBeGreaterThan(0);
      for (const c of configs) expect(c.send_resolved, receiver.name).toBe(true);
    }
  });
});
