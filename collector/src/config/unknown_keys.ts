import type { z } from 'zod';
import { didYouMean } from './did_you_mean.js';
import { UNSUPPORTED } from './fields.js';
import { formatPath, type PathSegment, type Problem, type Severity } from './diagnostics.js';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Unwraps optional/default/nullable/pipe/lazy down to the schema that decides the shape. */
function core(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else return current;
  }
}

/** The option of a union that fits the data's kind (map, list), if any. */
function pick(schema: z.ZodType, data: unknown): z.ZodType | undefined {
  const base = core(schema);
  const def = defOf(base);
  if (def.type !== 'union' || !def.options) return base;
  const wantsObject = data !== null && typeof data === 'object' && !Array.isArray(data);
  for (const option of def.options) {
    const t = defOf(core(option)).type;
    if (wantsObject && (t === 'object' || t === 'record')) return core(option);
    if (Array.isArray(data) && t === 'array') return core(option);
  }
  return undefined;
}

/**
 * Reports keys the schema does not know. zod itself strips them silently; we
 * want a message that names the path, suggests the near key and lists the
 * allowed ones. `severity` is 'error' where Promtail decodes strictly (its
 * config structs) and 'warning' where it ignores them (stage options).
 */
export function unknownKeys(
  schema: z.ZodType,
  data: unknown,
  path: readonly PathSegment[],
  severity: Severity,
  problems: Problem[],
): void {
  const chosen = pick(schema, data);
  if (!chosen || data === null || typeof data !== 'object') return;
  const def = defOf(chosen);
  if (def.type === 'object' && def.shape && !Array.isArray(data)) {
    const allowed = Object.keys(def.shape);
    const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
    for (const [key, value] of Object.entries(data)) {
      const field = def.shape[key];
      if (field && field.description === UNSUPPORTED) {
        problems.push({
          severity: 'warning',
          path: formatPath([...path, key]),
          at: 'key',
          message: `"${key}" is not supported by whodunit-collector and is ignored`,
        });
      } else if (field) unknownKeys(field, value, [...path, key], severity, problems);
      else if (!open) problems.push(unknownKeyProblem(key, allowed, [...path, key], severity));
    }
  } else if (def.type === 'array' && def.element && Array.isArray(data)) {
    data.forEach((item, index) =>
      unknownKeys(def.element as z.ZodType, item, [...path, index], severity, problems),
    );
  } else if (def.type === 'record' && def.valueType && !Array.isArray(data)) {
    for (const [key, value] of Object.entries(data)) {
      unknownKeys(def.valueType, value, [...path, key], severity, problems);
    }
  }
}

export function unknownKeyProblem(
  key: string,
  allowed: readonly string[],
  path: readonly PathSegment[],
  severity: Severity,
): Problem {
  const near = didYouMean(key, allowed);
  const hint = near ? ` (did you mean "${near}"?)` : '';
  const what = severity === 'warning' ? ', ignored as Promtail does' : '';
  return {
    severity,
    path: formatPath(path),
    at: 'key',
    message: `unknown key "${key}"${hint}${what}; allowed keys: ${allowed.join(', ')}`,
  };
}
