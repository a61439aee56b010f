import { isMap, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type Severity = 'error' | 'warning';

/** A config problem before it has a place in the file: path like `clients[0].url`. */
export interface Problem {
  severity: Severity;
  path: string;
  message: string;
  /** Point at the key (unknown keys) rather than at its value. */
  at?: 'key' | 'value';
}

export interface Diagnostic extends Problem {
  file: string;
  line: number;
  col: number;
}

/**
 * `promtail.yaml:14:9 scrape_configs[0].pipeline_stages[2].regex.expression: invalid ...`;
 * warnings say so after the path.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === '' ? '' : ` ${d.path}:`;
  const severity = d.severity === 'warning' ? ' warning:' : '';
  return `${d.file}:${d.line}:${d.col}${where}${severity} ${d.message}`;
}

export type PathSegment = string | number;

/** `['scrape_configs', 0, 'job_name']` -> `scrape_configs[0].job_name`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** The inverse of formatPath (config keys never contain `.` or `[`). */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[1] !== undefined) segments.push(match[1]);
  }
  return segments;
}

/**
 * Finds where a path lives in the parsed document; walks as deep as the file
 * goes (a missing key points at its parent map).
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: string,
  at: 'key' | 'value' = 'value',
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  const segments = parsePath(path);
  for (const [index, segment] of segments.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((item) => {
        const key = item.key as { value?: unknown } | null;
        return key !== null && typeof key === 'object' && String(key.value) === String(segment);
      });
      if (!pair) break;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      offset = keyNode.range?.[0] ?? offset;
      node = valueNode;
      if (valueNode?.range && !(at === 'key' && index === segments.length - 1)) offset = valueNode.range[0];
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return lines.linePos(offset);
}

export function toDiagnostic(problem: Problem, file: string, doc: Document, lines: LineCounter): Diagnostic {
  return { ...problem, file, ...locate(doc, lines, problem.path, problem.at) };
}
