import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

/** One alerting rule as a Prometheus or Loki rule file writes it, with the file it came from. */
export interface AlertRule {
  file: string;
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface RuleFile {
  groups?: { name: string; rules?: Partial<Omit<AlertRule, 'file'>>[] }[];
}

/** The alerting rules (recording rules left out) of every `*.rules.yml` under `dir`, any depth. */
export async function readAlertRules(dir: string): Promise<AlertRule[]> {
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.rules.yml')).sort();
  const rules: AlertRule[] = [];
  for (const file of files) {
    const content = parse(await readFile(join(dir, file), 'utf8')) as RuleFile;
    for (const group of content.groups ?? []) {
      for (const rule of group.rules ?? []) {
        if (rule.alert === undefined) continue;
        rules.push({
          file: relative(dir, join(dir, file)),
          alert: rule.alert,
          expr: String(rule.expr),
          labels: rule.labels ?? {},
          annotations: rule.annotations ?? {},
        });
      }
    }
  }
  return rules;
}

/** One `alert_rule_test` entry of a `promtool test rules` file: which alert, and whether it expects it firing. */
export interface RuleTestCase {
  file: string;
  alertname: string;
  firing: boolean;
}

interface RuleTestFile {
  tests?: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] | null }[] }[];
}

/** The alert checks of every `*.rules.test.yml` in `dir` (not recursive: promtool's files sit beside the rules). */
export async function readRuleTestCases(dir: string): Promise<RuleTestCase[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.rules.test.yml')).sort();
  const cases: RuleTestCase[] = [];
  for (const file of files) {
    const content = parse(await readFile(join(dir, file), 'utf8')) as RuleTestFile;
    for (const test of content.tests ?? []) {
      for (const check of test.alert_rule_test ?? []) {
        cases.push({ file, alertname: check.alertname, firing: (check.exp_alerts ?? []).length > 0 });
      }
    }
  }
  return cases;
}
