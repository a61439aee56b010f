import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  values?: unknown[];
  defaultValue?: unknown;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

export interface KeyDoc {
  name: string;
  type: string;
  required: boolean;
  default: string | undefined;
}

/** A short type name for docs: string, number, boolean, list of string, map, one of a|b. */
export function typeName(schema: z.ZodType): string {
  // A field may name its own type (config/fields.ts: `duration`).
  if (schema.description && !schema.description.includes(':')) return schema.description;
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return typeName(def.innerType as z.ZodType);
    case 'pipe':
      return typeName(def.in as z.ZodType);
    case 'array':
      return `list of ${typeName(def.element as z.ZodType)}`;
    case 'object':
    case 'record':
      return 'map';
    case 'enum':
      return Object.values(def.entries ?? {}).join(' | ');
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' | ');
    case 'union':
      return [...new Set((def.options ?? []).map(typeName))].join(' or ');
    case 'unknown':
    case 'any':
      return 'any';
    default:
      return def.type;
  }
}

function defaultOf(schema: z.ZodType): { required: boolean; value: string | undefined } {
  let current = schema;
  let required = true;
  for (;;) {
    const def = defOf(current);
    if (def.type === 'default' || def.type === 'prefault') {
      return { required: false, value: JSON.stringify(def.defaultValue) };
    }
    if (def.type === 'optional' || def.type === 'nullable') required = def.type === 'nullable' && required;
    if (def.type === 'optional') required = false;
    if (!def.innerType) return { required, value: undefined };
    current = def.innerType;
  }
}

/** The keys of a stage's options, or undefined when the options are not a fixed map (label maps, lists). */
export function stageKeys(schema: z.ZodType): KeyDoc[] | undefined {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.type === 'object' && def.shape) {
      return Object.entries(def.shape).map(([name, field]) => {
        const { required, value } = defaultOf(field);
        return { name, type: typeName(field), required, default: value };
      });
    }
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return undefined;
    current = next;
  }
}
