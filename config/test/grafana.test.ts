import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '@whodunit/testkit';
import { bindMounts, environmentOf, loadCompose, type ComposeService } from './compose_file.js';

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}

const provisioning = 'config/grafana/provisioning';

describe('config/grafana/provisioning', () => {
  let grafana: ComposeService;
  let datasourcesText: string;
  let datasources: Datasource[];

  beforeAll(async () => {
    grafana = (await loadCompose()).compose.services.grafana!;
    datasourcesText = await readFile(repoPath(provisioning, 'datasources/datasources.yml'), 'utf8');
    datasources = (parse(datasourcesText) as { datasources: Datasource[] }).datasources;
  });

  it('provisions Loki, Prometheus, PostgreSQL and Jaeger (and Alertmanager), each with a fixed, unique uid', () => {
    expect(datasources.map((d) => d.type).sort()).toEqual(
      ['alertmanager', 'grafana-postgresql-datasource', 'jaeger', 'loki', 'prometheus'].sort(),
    );
    const uids = datasources.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('links between datasources only by uids that exist', () => {
    const uids = new Set(datasources.map((d) => d.uid));
    const linked = [...datasourcesText.matchAll(/datasourceUid: (\S+)/g)].map((m) => m[1]);
    expect(linked.length).toBeGreaterThan(0);
    expect(linked.filter((uid) => !uids.has(uid ?? ''))).toEqual([]);
  });

  it('keeps the PostgreSQL password out of git: it comes from an environment variable Grafana is given', () => {
    const postgres = datasources.find((d) => d.type === 'grafana-postgresql-datasource');
    const password = postgres?.secureJsonData?.password ?? '';
    const variable = /^\$\{?([A-Z0-9_]+)\}?$/.exec(password)?.[1];
    expect(variable, `password is ${JSON.stringify(password)}, not an environment variable`).toBeDefined();
    expect(Object.keys(environmentOf(grafana))).toContain(variable);
  });

  it('reads every variable it references from Grafana’s compose environment', () => {
    const uncommented = datasourcesText.replace(/^\s*#.*$/gm, '');
    const referenced = [...uncommented.matchAll(/(?<!\$)\$\{?([A-Z][A-Z0-9_]*)\}?/g)].map((m) => m[1]);
    const given = Object.keys(environmentOf(grafana));
    expect(referenced.filter((v) => !given.includes(v ?? ''))).toEqual([]);
  });

  it('loads dashboards from where compose mounts ./dashboards', async () => {
    const dashboards = parse(await readFile(repoPath(provisioning, 'dashboards/dashboards.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const mount = bindMounts(grafana).find((m) => m.source === './dashboards');
    expect(dashboards.providers.map((p) => p.options.path)).toEqual([mount?.target]);
  });

  it('is mounted where Grafana looks for provisioning', () => {
    expect(bindMounts(grafana)).toContainEqual({
      source: `./${provisioning}`,
      target: '/etc/grafana/provisioning',
      readOnly: true,
    });
  });
});
