import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  repoPath,
  startAlertmanager,
  startPrometheus,
  type AlertmanagerServer,
  type PrometheusServer,
} from '@whodunit/testkit';
import { alertmanager025Replacements } from './alertmanager_config.js';

/**
 * The stack's own Prometheus and Alertmanager files, run by the real binaries with only the
 * Alertmanager address (and, for Debian's Alertmanager 0.25, the Discord webhook files) rewritten:
 * what `docker compose up` runs, minus Docker.
 */
describe('Prometheus and Alertmanager from config/', () => {
  let alertmanager: AlertmanagerServer;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    alertmanager = await startAlertmanager({
      configFile: repoPath('config/alertmanager/alertmanager.yml'),
      // Debian's 0.25 has no webhook_url_file; port 9 refuses, as a missing webhook would fail.
      replacements: alertmanager025Replacements('http://127.0.0.1:9'),
    });
    prometheus = await startPrometheus({
      configFile: repoPath('config/prometheus/prometheus.yml'),
      replacements: { 'alertmanager:9093': `127.0.0.1:${alertmanager.port}` },
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
  });

  /** Polls a Prometheus API until `ready` accepts its data: discovery happens in the background. */
  async function until<T>(path: string, ready: (data: T) => boolean): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const body = (await (await fetch(`${prometheus.url}${path}`)).json()) as { data: T };
      if (ready(body.data) || Date.now() > deadline) return body.data;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('loads the rule files of config/prometheus/rules', async () => {
    type Rules = { groups: { name: string; file: string; rules: { name: string; health: string }[] }[] };
    const data = await until<Rules>('/api/v1/rules', (d) => d.groups.length > 0);
    const platform = data.groups.find((g) => g.name === 'platform');
    expect(platform?.file).toMatch(/rules\/platform\.rules\.yml$/);
    expect(platform?.rules.map((r) => r.name)).toContain('ScrapeTargetDown');
  });

  it('sends its alerts to the Alertmanager', async () => {
    type Alertmanagers = { activeAlertmanagers: { url: string }[] };
    const data = await until<Alertmanagers>('/api/v1/alertmanagers', (d) => d.activeAlertmanagers.length > 0);
    expect(data.activeAlertmanagers.map((a) => a.url)).toEqual([
      `http://127.0.0.1:${alertmanager.port}/api/v2/alerts`,
    ]);
  });

  it('has an Alertmanager that accepts an alert and shows it locally, with no Discord configured', async () => {
    const alert = { labels: { alertname: 'WhodunitConfigTest', severity: 'critical' }, annotations: {} };
    const post = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([alert]),
    });
    expect(post.status).toBe(200);
    const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      receivers: { name: string }[];
    }[];
    const shown = alerts.find((a) => a.labels.alertname === 'WhodunitConfigTest');
    expect(shown?.receivers.map((r) => r.name)).toContain('local');
  });
});
