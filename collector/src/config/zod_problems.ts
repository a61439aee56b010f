import type { z } from 'zod';
import { SECRET_KEYS } from '../secret.js';
import { formatPath, type PathSegment, type Problem } from './diagnostics.js';

/** The raw value at a path, for quoting it back in a message. */
export function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/**
 * ` (got "(?P<ts")` for a scalar value; nothing for maps and lists, missing
 * values, or anything under a secret key (never echo a password back).
 */
export function gotSuffix(data: unknown, path: readonly PathSegment[]): string {
  if (path.some((segment) => typeof segment === 'string' && SECRET_KEYS.has(segment))) return '';
  const value = valueAt(data, path);
  if (value === undefined || (value !== null && typeof value === 'object')) return '';
  let text = JSON.stringify(value) ?? String(value);
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return ` (got ${text})`;
}

const KIND: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  record: 'a map',
};

/** zod's own wording; anything else is a message a schema author wrote, which we keep. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

function describe(issue: z.core.$ZodIssue, data: unknown, path: PathSegment[]): string {
  const value = valueAt(data, path);
  if (issue.code !== 'custom' && !ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'missing required key';
      return `expected ${KIND[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'invalid_union':
      return 'invalid value';
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      return `must be at least ${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}`;
    default:
      return issue.message;
  }
}

/** zod issues -> problems with a full YAML path under `base`. */
export function zodProblems(error: z.ZodError, data: unknown, base: readonly PathSegment[]): Problem[] {
  return error.issues.map((issue) => {
    const local = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    const message = describe(issue, data, local) + gotSuffix(data, local);
    return { severity: 'error', path: formatPath([...base, ...local]), message };
  });
}
