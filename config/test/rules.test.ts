import { access, readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath, startPostgres, type PostgresServer } from '@whodunit/testkit';
import { readAlertRules, readRuleTestCases, type AlertRule } from './alert_rules.js';
import { logqlErrors } from './logql_errors.js';
import { readRunbookQueries } from './runbook_queries.js';

const SEVERITIES = ['critical', 'warning', 'info'];
const CATEGORIES = ['database', 'security', 'application', 'audit', 'platform'];
// The Discord template (config/alertmanager/templates/whodunit.tmpl) uses an alert's grafana_url
// only when it matches this, and builds its own link otherwise.
const DISCORD_LINK = /^https?:\/\/[^\s()<>]{1,292}$/;
const RUNBOOK_SECTIONS = ['## What it means', '## First three queries', '## What to do'];

let prometheusAlerts: AlertRule[] = [];
let lokiAlerts: AlertRule[] = [];

beforeAll(async () => {
  prometheusAlerts = await readAlertRules(repoPath('config/prometheus/rules'));
  lokiAlerts = await readAlertRules(repoPath('config/loki/rules'));
});

/** What an alert needs so that whoever receives it can act: the same for both rulers. */
async function alertProblems(rule: AlertRule): Promise<string[]> {
  const where = `${rule.file}: ${rule.alert}`;
  const problems: string[] = [];
  if (!SEVERITIES.includes(rule.labels.severity ?? ''))
    problems.push(`${where}: severity not one of ${SEVERITIES.join('|')}`);
  if (!CATEGORIES.includes(rule.labels.category ?? ''))
    problems.push(`${where}: category not one of ${CATEGORIES.join('|')}`);
  for (const key of ['summary', 'description']) {
    if (!rule.annotations[key]?.trim()) problems.push(`${where}: no ${key} annotation`);
  }
  const runbook = `docs/runbooks/${rule.alert}.md`;
  if (rule.annotations.runbook_url !== runbook) problems.push(`${where}: runbook_url is not ${runbook}`);
  else if (!(await exists(repoPath(runbook)))) problems.push(`${where}: ${runbook} does not exist`);
  const grafana = rule.annotations.grafana_url ?? '';
  if (!grafana.startsWith('http://127.0.0.1:3000/')) {
    problems.push(`${where}: grafana_url is not a link into Grafana (http://127.0.0.1:3000/...)`);
  } else if (!DISCORD_LINK.test(grafana)) {
    problems.push(`${where}: grafana_url is too long or has characters the Discord template refuses to link`);
  }
  return problems;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('alert rules', () => {
  it('finds a Prometheus rule file per category, and Loki rules', () => {
    const files = new Set(prometheusAlerts.map((r) => r.file));
    expect([...files].sort()).toEqual(CATEGORIES.map((c) => `${c}.rules.yml`).sort());
    expect(lokiAlerts.length).toBeGreaterThan(0);
  });

  it('gives every Prometheus alert severity, its file category, summary, description, runbook and Grafana link', async () => {
    const problems: string[] = [];
    for (const rule of prometheusAlerts) {
      problems.push(...(await alertProblems(rule)));
      const category = basename(rule.file, '.rules.yml');
      if (rule.labels.category !== category)
        problems.push(`${rule.file}: ${rule.alert}: category is not ${category}`);
    }
    expect(problems).toEqual([]);
  });

  it('tests every Prometheus alert both firing and not firing in its *.rules.test.yml', async () => {
    const cases = await readRuleTestCases(repoPath('config/prometheus/rules'));
    const problems: string[] = [];
    for (const rule of prometheusAlerts) {
      const mine = cases.filter(
        (c) => c.alertname === rule.alert && c.file === rule.file.replace(/\.yml$/, '.test.yml'),
      );
      if (!mine.some((c) => c.firing)) problems.push(`${rule.alert}: no test case where it fires`);
      if (!mine.some((c) => !c.firing)) problems.push(`${rule.alert}: no test case where it does not fire`);
    }
    expect(problems).toEqual([]);
  });

  it('gives every Loki alert the same', async () => {
    const problems: string[] = [];
    for (const rule of lokiAlerts) problems.push(...(await alertProblems(rule)));
    expect(problems).toEqual([]);
  });

  it('names every alert once across Prometheus and Loki (the runbook is per name)', () => {
    const names = [...prometheusAlerts, ...lokiAlerts].map((r) => r.alert);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('parses every LogQL expression of the Loki rules with @grafana/lezer-logql', () => {
    const problems = lokiAlerts.flatMap((r) => logqlErrors(r.expr).map((e) => `${r.file}: ${r.alert}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('reports a LogQL expression that does not parse, with the place', () => {
    expect(logqlErrors('sum by (user) (count_over_time({stream="security"} | json [5m]) > 0')).not.toEqual(
      [],
    );
    expect(logqlErrors('count_over_time({stream="security"} |= [5m])')[0]).toMatch(/^at \d+ near /);
    expect(logqlErrors('{stream="security"} | security_event="failed_login_burst"')).toEqual([]);
  });
});

describe('docs/runbooks', () => {
  it('has, in every runbook, what the alert means, the first three queries and what to do', async () => {
    const dir = repoPath('docs/runbooks');
    const problems: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
      const text = await readFile(`${dir}/${file}`, 'utf8');
      for (const section of RUNBOOK_SECTIONS) {
        if (!text.includes(`\n${section}\n`)) problems.push(`${file}: no "${section}" section`);
      }
      const queries = text.split('## First three queries')[1]?.split('\n## ')[0] ?? '';
      const blocks = queries.match(/^```(logql|sql|promql)$/gm) ?? [];
      if (blocks.length < 3) problems.push(`${file}: ${blocks.length} queries under "First three queries"`);
    }
    expect(problems).toEqual([]);
  });

  it('has only LogQL queries that @grafana/lezer-logql parses', async () => {
    const queries = (await readRunbookQueries(repoPath('docs/runbooks'))).filter(
      (q) => q.language === 'logql',
    );
    expect(queries.length).toBeGreaterThan(0);
    const problems = queries.flatMap((q) => logqlErrors(q.query).map((e) => `${q.file}: ${q.query}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('has a runbook only for alerts that exist', async () => {
    const names = new Set([...prometheusAlerts, ...lokiAlerts].map((r) => r.alert));
    const orphans = (await readdir(repoPath('docs/runbooks')))
      .filter((f) => f.endsWith('.md') && f !== 'README.md')
      .filter((f) => !names.has(basename(f, '.md')));
    expect(orphans).toEqual([]);
  });
});

describe('the SQL of the runbooks, on the audit schema', () => {
  let db: PostgresServer;

  beforeAll(async () => {
    const migrations = repoPath('sql/migrations');
    db = await startPostgres({
      init: async (url) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          for (const file of (await readdir(migrations)).filter((f) => f.endsWith('.sql')).sort()) {
            await client.query(await readFile(`${migrations}/${file}`, 'utf8'));
          }
          // As @whodunit/sql's migrate() does: creates this month's partitions.
          await client.query('select audit.maintain()');
        } finally {
          await client.end();
        }
      },
    });
  }, 60_000);

  afterAll(async () => {
    await db?.stop();
  });

  it('runs every SQL query of the runbooks (placeholders filled in) without an error', async () => {
    const queries = (await readRunbookQueries(repoPath('docs/runbooks'))).filter((q) => q.language === 'sql');
    expect(queries.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { file, query } of queries) {
      // `<statement_id>` and `<pid>` stand for numbers; the other placeholders sit inside quotes.
      const runnable = query.replace(/<(statement_id|pid)>/g, '1');
      await db.query(runnable).catch((error: unknown) => {
        problems.push(
          `${file}: ${query.split('\n')[0]}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    }
    expect(problems).toEqual([]);
  });
});
