import { createHash } from 'node:crypto';
import { z } from 'zod';
import { compileGoRegexp } from '../go/regexp.js';

/**
 * Prometheus relabelling, as Promtail applies it to targets (`relabel_configs`).
 *
 * Each rule reads `source_labels` joined by `separator` (default `;`), matches the
 * fully anchored `regex` (default `(.*)`, RE2 syntax, `.` also matches `\n` as in
 * Prometheus), and then, by `action` (default `replace`, case-insensitive):
 *   - replace:   on a match, sets `target_label` (which may itself use `$1`) to
 *                `replacement` (default `$1`) expanded; an empty result deletes it.
 *   - keep/drop: drops the whole target when the value does (not) match.
 *   - hashmod:   sets `target_label` to md5(value) mod `modulus` (Prometheus's hash).
 *   - labelmap:  copies every label whose NAME matches to the expanded replacement name.
 *   - labeldrop / labelkeep: removes labels whose name does (not) match.
 *   - lowercase / uppercase: sets `target_label` to the joined value in that case.
 *   - keepequal / dropequal: keeps (drops) the target when the joined value equals
 *                `target_label`'s value.
 *
 * Example: `{ source_labels: [__path__], regex: '/var/log/(.*)\.log', target_label: app }`
 * turns `__path__=/var/log/nginx.log` into `app=nginx`.
 */
export const relabelActions = [
  'replace',
  'keep',
  'drop',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
  'keepequal',
  'dropequal',
] as const;
export type RelabelAction = (typeof relabelActions)[number];

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A target label that may contain `$1` / `${name}` references (Prometheus's legacy check). */
const templatedLabelName = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;
const defaultRegex = '(.*)';
const defaultReplacement = '$1';
const defaultSeparator = ';';

export interface RelabelConfig {
  sourceLabels: string[];
  separator: string;
  targetLabel: string | undefined;
  /** Fully anchored, compiled once at config time. */
  regex: RegExp;
  /** Go's SubexpNames: index i is the name of group i ('' when unnamed). */
  groupNames: readonly string[];
  modulus: number | undefined;
  replacement: string;
  action: RelabelAction;
}

/** One entry of `relabel_configs`, validated and compiled (the regex) at config time. */
export const relabelConfigSchema = z
  .object({
    source_labels: z.array(z.string()).optional(),
    separator: z.string().optional(),
    target_label: z.string().optional(),
    regex: z.string().optional(),
    modulus: z.number().int().nonnegative().optional(),
    replacement: z.string().optional(),
    action: z
      .string()
      .optional()
      .transform((a) => (a ?? 'replace').toLowerCase())
      .pipe(z.enum(relabelActions)),
  })
  .transform((raw, ctx): RelabelConfig => {
    const action = raw.action;
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const sourceLabels = raw.source_labels ?? [];
    for (const [i, name] of sourceLabels.entries()) {
      if (!labelName.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['source_labels', i],
          message: `"${name}" is not a valid label name`,
        });
      }
    }
    let regex = /^(?:(.*))$/s;
    let groupNames: readonly string[] = ['', ''];
    try {
      // Prometheus anchors and lets `.` match newlines: `^(?s:<regex>)$`.
      const compiled = compileGoRegexp(`^(?s:${raw.regex ?? defaultRegex})$`);
      regex = compiled.regex;
      groupNames = compiled.groupNames;
    } catch (err) {
      issue('regex', `invalid regular expression: ${(err as Error).message}`);
    }
    const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'];
    if (needsTarget.includes(action) && !raw.target_label) {
      issue('target_label', `relabel configuration for ${action} action requires 'target_label' value`);
    } else if (raw.target_label !== undefined) {
      const ok = action === 'replace' ? templatedLabelName : labelName;
      if (needsTarget.includes(action) && !ok.test(raw.target_label)) {
        issue('target_label', `"${raw.target_label}" is invalid 'target_label' for ${action} action`);
      }
    }
    if (action === 'hashmod' && !raw.modulus) {
      issue('modulus', 'relabel configuration for hashmod requires non-zero modulus');
    }
    if (action === 'labeldrop' || action === 'labelkeep') {
      const extra =
        raw.source_labels !== undefined ||
        raw.target_label !== undefined ||
        raw.modulus !== undefined ||
        (raw.separator !== undefined && raw.separator !== defaultSeparator) ||
        (raw.replacement !== undefined && raw.replacement !== defaultReplacement);
      if (extra) issue('action', `${action} action requires only 'regex', and no other fields`);
    }
    if (action === 'labelmap' && raw.replacement !== undefined && !templatedLabelName.test(raw.replacement)) {
      issue('replacement', `"${raw.replacement}" is invalid 'replacement' for labelmap action`);
    }
    return {
      sourceLabels,
      separator: raw.separator ?? defaultSeparator,
      targetLabel: raw.target_label,
      regex,
      groupNames,
      modulus: raw.modulus,
      replacement: raw.replacement ?? defaultReplacement,
      action,
    };
  });

export type RelabelConfigInput = z.input<typeof relabelConfigSchema>;

/**
 * Applies the rules in order to a copy of `labels`. Returns the new label set, or
 * undefined when a keep/drop rule dropped the target. Labels set to an empty
 * value are removed, as Prometheus's label builder does.
 */
export function relabel(
  labels: Readonly<Record<string, string>>,
  configs: readonly RelabelConfig[],
): Record<string, string> | undefined {
  const out: Record<string, string> = { ...labels };
  for (const cfg of configs) {
    if (!applyRule(out, cfg)) return undefined;
  }
  return out;
}

function applyRule(lb: Record<string, string>, cfg: RelabelConfig): boolean {
  const value = cfg.sourceLabels.map((name) => lb[name] ?? '').join(cfg.separator);
  switch (cfg.action) {
    case 'keep':
      return cfg.regex.test(value);
    case 'drop':
      return !cfg.regex.test(value);
    case 'keepequal':
      return value === (lb[cfg.targetLabel!] ?? '');
    case 'dropequal':
      return value !== (lb[cfg.targetLabel!] ?? '');
    case 'replace': {
      const match = cfg.regex.exec(value);
      if (!match) return true;
      const target = expandTemplate(cfg.targetLabel!, match, cfg.groupNames);
      if (!labelName.test(target)) return true;
      setLabel(lb, target, expandTemplate(cfg.replacement, match, cfg.groupNames));
      return true;
    }
    case 'lowercase':
      setLabel(lb, cfg.targetLabel!, value.toLowerCase());
      return true;
    case 'uppercase':
      setLabel(lb, cfg.targetLabel!, value.toUpperCase());
      return true;
    case 'hashmod':
      setLabel(lb, cfg.targetLabel!, String(hashMod(value, cfg.modulus!)));
      return true;
    case 'labelmap':
      for (const [name, v] of Object.entries(lb)) {
        const match = cfg.regex.exec(name);
        if (match) setLabel(lb, expandTemplate(cfg.replacement, match, cfg.groupNames), v);
      }
      return true;
    case 'labeldrop':
      for (const name of Object.keys(lb)) if (cfg.regex.test(name)) delete lb[name];
      return true;
    case 'labelkeep':
      for (const name of Object.keys(lb)) if (!cfg.regex.test(name)) delete lb[name];
      return true;
  }
}

function setLabel(lb: Record<string, string>, name: string, value: string): void {
  if (value === '') delete lb[name];
  else lb[name] = value;
}

/** Prometheus's hashmod: the low 8 bytes of md5(value), big-endian, modulo `modulus`. */
function hashMod(value: string, modulus: number): bigint {
  const sum = createHash('md5').update(value).digest();
  return sum.readBigUInt64BE(8) % BigInt(modulus);
}

/**
 * Go's Regexp.ExpandString: `$1`, `${1}`, `$name`, `${name}` and `$$`. A bare
 * `$name` takes the longest run of word characters (so `$1x` means group "1x",
 * which is empty); unknown or unmatched groups expand to "".
 */
export function expandTemplate(
  template: string,
  match: RegExpExecArray,
  groupNames: readonly string[],
): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const rest = template.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i = dollar + 2;
      continue;
    }
    const ref = /^(?:\{(\w+)\}|(\w+))/.exec(rest);
    if (!ref) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const name = (ref[1] ?? ref[2])!;
    out += groupValue(match, name, groupNames);
    i = dollar + 1 + ref[0].length;
  }
  return out;
}

function groupValue(match: RegExpExecArray, name: string, groupNames: readonly string[]): string {
  if (/^\d+$/.test(name)) return match[Number(name)] ?? '';
  // Go uses the leftmost group of that name.
  const index = groupNames.indexOf(name);
  return index > 0 ? (match[index] ?? '') : '';
}
