import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { repoRoot } from '@whodunit/testkit';

/**
 * Checks a YAML file against a JSON schema and reports every problem the way a user can act on:
 *   config/loki/loki.yml:76:3 compactor.retention_enable: unknown key (allowed: ...)
 * i.e. file, line, column, the path of the key, and what is wrong.
 */
export async function checkYamlFile(file: string, validate: ValidateFunction): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return checkYamlText(relative(repoRoot, file), text, validate);
}

export function checkYamlText(name: string, text: string, validate: ValidateFunction): string[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    return doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return `${name}:${pos.line}:${pos.col} YAML syntax: ${e.message.split('\n')[0]}`;
    });
  }
  if (validate(doc.toJS())) return [];
  // `if` only says which `then` failed; the `then` error names the actual key.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const problems = errors.map((error) => describe(name, doc, lineCounter, error));
  return [...new Set(problems)];
}

type Segment = string | number;

function describe(name: string, doc: Document, lineCounter: LineCounter, error: ErrorObject): string {
  const parent = pointerToSegments(error.instancePath);
  if (error.keyword === 'additionalProperty' || error.keyword === 'additionalProperties') {
    const key = String((error.params as { additionalProperty: string }).additionalProperty);
    const allowed = Object.keys(
      (error.parentSchema as { properties?: object } | undefined)?.properties ?? {},
    );
    const where = position(lineCounter, keyNode(doc, parent, key) ?? nodeAt(doc, parent));
    const guess = closest(key, allowed);
    const hint = guess ? `; did you mean "${guess}"?` : '';
    const list = allowed.length > 20 ? `${allowed.slice(0, 20).join(', ')}, ...` : allowed.join(', ');
    return `${name}:${where} ${dotted([...parent, key])}: unknown key${hint} (allowed: ${list})`;
  }
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    const where = position(lineCounter, nodeAt(doc, parent));
    return `${name}:${where} ${dotted([...parent, missing])}: required key is missing`;
  }
  const where = position(lineCounter, nodeAt(doc, parent));
  const got = error.data === undefined ? '' : ` (got ${JSON.stringify(error.data)})`;
  return `${name}:${where} ${dotted(parent) || '(top level)'}: ${error.message ?? error.keyword}${allowedValues(error)}${got}`;
}

function allowedValues(error: ErrorObject): string {
  if (error.keyword === 'enum') {
    return `: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'const')
    return `: ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  return '';
}

/** The allowed key a typo most likely meant: at most two edits away. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of allowed) {
    const distance = editDistance(key, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** `/limits_config/retention_stream/0/selector` -> ['limits_config', 'retention_stream', 0, 'selector'] */
function pointerToSegments(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** ['limits_config', 'retention_stream', 0, 'selector'] -> limits_config.retention_stream[0].selector */
export function dotted(path: readonly Segment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function nodeAt(doc: Document, path: readonly Segment[]): Node | undefined {
  const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  return isMap(node) || isSeq(node) || isScalar(node) ? node : undefined;
}

function keyNode(doc: Document, parent: readonly Segment[], key: string): Node | undefined {
  const map = nodeAt(doc, parent);
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return pair.key;
  }
  return undefined;
}

function position(lineCounter: LineCounter, node: Node | undefined): string {
  const offset = node?.range?.[0] ?? 0;
  const pos = lineCounter.linePos(offset);
  return `${pos.line}:${pos.col}`;
}
