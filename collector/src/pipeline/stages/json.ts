/**
 * `json`: parses the line (or an extracted value) as a JSON object and copies
 * values chosen by JMESPath expressions into the extracted map.
 *
 *   - json:
 *       expressions:          # required: extracted key -> JMESPath (empty: the key itself)
 *         level:
 *         user: user.id
 *         agent: '"user-agent"'  # keys with dashes must be quoted, as in Promtail
 *       source: payload       # extracted key to parse instead of the line (optional)
 *       drop_malformed: false # drop lines that are not a JSON object (default false)
 *
 * Example: `{"level":"info","user":{"id":42},"user-agent":"curl"}` gives the
 * extracted map `{level: "info", user: 42, agent: "curl"}` (the number stays a number).
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - An expression that finds nothing sets its key to null; it does not leave an
 *     earlier value (such as a label of the same name) alone.
 *   - Strings, numbers, booleans and null keep their JSON type; objects and arrays
 *     are stored as JSON text (`{"id":42}`), so a later stage can parse them again.
 *     Promtail prints object keys in random order; we keep the line's order.
 *   - A line that is not a JSON object (an array, a number, invalid JSON) is counted
 *     as `malformed_json` and passes unchanged, or is dropped with `drop_malformed`.
 *     The literal `null` is an empty object (Go decodes it into a nil map): every
 *     expression then sets null.
 *   - A missing `source` (or one whose value is null or an object) skips the stage
 *     and is never dropped, even with `drop_malformed`.
 *   - An expression that fails at run time (a function given the wrong type) leaves
 *     its key as it was (counted as `jmespath_error`).
 *   - JMESPath is the 2015 specification Promtail's go-jmespath implements (via the
 *     reference `jmespath` package): no arithmetic, so `user-agent` is a config error.
 *
 * Speed: plain paths (`level`, `user.id`, `"user-agent"`) are read straight from
 * the parsed object; only other expressions run the JMESPath interpreter.
 */
import * as jmespathModule from 'jmespath';
import { z } from 'zod';
import { sourceText } from '../source_input.js';
import { defineStage, StageConfigError } from '../stage.js';

interface JmesNode {
  type: string;
  name?: string;
  children?: JmesNode[];
}
// @types/jmespath declares search() only; compile() returns the parsed tree.
const jmespath = jmespathModule as unknown as {
  compile(expression: string): JmesNode;
  search(data: unknown, expression: string): unknown;
};

const schema = z.object({
  /** Extracted key -> JMESPath expression; an empty expression means the key itself. */
  expressions: z.record(z.string(), z.string().nullable()),
  /** Extracted key whose value is parsed instead of the line. */
  source: z.string().nullish(),
  /** Drop entries whose input is not a JSON object. */
  drop_malformed: z.boolean().nullish().default(false),
});

/** The field names of a plain path (`a`, `a.b`, `"a-b".c`), or undefined for anything richer. */
function plainPath(node: JmesNode): string[] | undefined {
  if (node.type === 'Field' && typeof node.name === 'string') return [node.name];
  if (node.type === 'Subexpression' && node.children?.length === 2) {
    const left = plainPath(node.children[0] as JmesNode);
    const right = plainPath(node.children[1] as JmesNode);
    return left && right ? [...left, ...right] : undefined;
  }
  return undefined;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** JMESPath field lookup: only own keys of objects; anything else is null. */
function readPath(data: unknown, path: string[]): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !hasOwn.call(value, key))
      return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Promtail's rule: scalars keep their type, objects and arrays become JSON text. */
function extractedValue(value: unknown): unknown {
  if (value === undefined) return null;
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

export const json = defineStage({
  name: 'json',
  schema,
  create(config, ctx) {
    if (Object.keys(config.expressions).length === 0) {
      throw new StageConfigError('expressions', 'JMES expression is required');
    }
    if (config.source === '') throw new StageConfigError('source', 'empty source');
    const names: string[] = [];
    const paths: (string[] | undefined)[] = [];
    const queries: string[] = [];
    for (const [name, written] of Object.entries(config.expressions)) {
      const query = written === null || written === '' ? name : written;
      let tree: JmesNode;
      try {
        tree = jmespath.compile(query);
      } catch (err) {
        const hint = /^[\w.]*-/.test(query) ? ' (quote keys that contain "-", e.g. \'"user-agent"\')' : '';
        throw new StageConfigError(
          `expressions.${name}`,
          `could not compile JMES expression: ${(err as Error).message}${hint}`,
        );
      }
      names.push(name);
      paths.push(plainPath(tree));
      queries.push(query);
    }
    const source = config.source ?? undefined;
    const dropMalformed = config.drop_malformed === true;
    const count = names.length;

    return {
      process(entry) {
        const input = sourceText(entry, source, ctx.countError);
        if (input === undefined) return entry;
        let data: unknown;
        try {
          data = JSON.parse(input);
        } catch {
          data = undefined;
        }
        if (data === undefined || (data !== null && (typeof data !== 'object' || Array.isArray(data)))) {
          ctx.countError('malformed_json');
          return dropMalformed ? undefined : entry;
        }
        const extracted = entry.extracted;
        for (let i = 0; i < count; i++) {
          const path = paths[i];
          if (path) {
            extracted[names[i] as string] = extractedValue(readPath(data, path));
            continue;
          }
          try {
            extracted[names[i] as string] = extractedValue(jmespath.search(data, queries[i] as string));
          } catch {
            ctx.countError('jmespath_error'); // e.g. a function given the wrong type; Promtail skips the key
          }
        }
        return entry;
      },
    };
  },
});
