/**
 * `replace`: finds every match of a Go regular expression in the line (or an
 * extracted value) and replaces each capture group with a Go template's output.
 *
 *   - replace:
 *       expression: 'password=(\S+)'   # required; the groups are what gets replaced
 *       source: message                # extracted key to edit instead of the line (optional)
 *       replace: '****'                # Go template; {{ .Value }} is the captured text,
 *                                      # other extracted keys are there too (default "")
 *
 * Example: `user=bob password=hunter2` becomes `user=bob password=****`.
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - Only capture groups are replaced, never the rest of the match: an expression
 *     without a group changes nothing. Use `(...)` around what must go.
 *   - With nested groups, the outer one is replaced and the inner ones are not
 *     (they still get their template output in the extracted map).
 *   - Each named group is set in the extracted map to the template's output for the
 *     text it captured in the first match (`user: "FRANK"` after `ToUpper`), even
 *     though the stage "only" replaces.
 *   - With `source`, the extracted value is rewritten and the line is left alone.
 *   - The template sees extracted values as text; null values and objects are left out.
 *     A template that fails to run leaves the entry unchanged (counted as `template_error`).
 */
import { z } from 'zod';
import { extractedToString } from '../../go/strconv.js';
import { findAll } from '../../go/regexp.js';
import { compileGoTemplate, type GoTemplate } from '../../go/template.js';
import { sourceText } from '../source_input.js';
import { compileStageExpression } from '../stage_regexp.js';
import { defineStage, StageConfigError } from '../stage.js';

const schema = z.object({
  /** A Go regular expression; its capture groups are replaced. */
  expression: z.string(),
  /** Extracted key whose value is edited instead of the line. */
  source: z.string().nullish(),
  /** Go template for each captured group; `.Value` is the captured text. */
  replace: z.string().nullish(),
});

export const replace = defineStage({
  name: 'replace',
  schema,
  create(config, ctx) {
    const re = compileStageExpression(config, 'empty source in replace stage');
    let template: GoTemplate;
    try {
      template = compileGoTemplate('pipeline_template', config.replace ?? '');
    } catch (err) {
      throw new StageConfigError('replace', (err as Error).message);
    }
    const named: [index: number, name: string][] = [];
    re.groupNames.forEach((name, index) => {
      if (index > 0 && name !== '') named.push([index, name]);
    });
    const source = config.source ?? undefined;

    return {
      process(entry) {
        const input = sourceText(entry, source, ctx.countError);
        if (input === undefined) return entry;
        const matches = findAll(re, input);
        if (matches.length === 0) return entry;

        const data: Record<string, string> = {};
        for (const [key, value] of Object.entries(entry.extracted)) {
          const text = typeof value === 'string' ? value : extractedToString(value);
          if (text !== undefined) data[key] = text;
        }
        let result = '';
        let previousEnd = 0;
        const rendered = new Map<string, string>();
        try {
          for (const match of matches) {
            const spans = match.indices as RegExpIndicesArray;
            for (let i = 1; i < spans.length; i++) {
              const span = spans[i];
              if (span === undefined) continue; // the group took no part in this match
              const [start, end] = span;
              const captured = input.slice(start, end);
              data.Value = captured;
              const output = template.execute(data);
              // Promtail's rule: a group starting inside the last replaced one (a nested group) is not replaced again.
              if (previousEnd === 0 || previousEnd <= start) {
                result += input.slice(previousEnd, start) + output;
                previousEnd = end;
              }
              rendered.set(captured, output);
            }
          }
        } catch {
          // As Promtail: a template that fails to run leaves the entry as it was.
          ctx.countError('template_error');
          return entry;
        }
        result += input.slice(previousEnd);
        if (source !== undefined) entry.extracted[source] = result;
        else entry.line = result;

        const first = matches[0] as RegExpExecArray;
        for (const [index, name] of named) {
          const output = rendered.get(first[index] ?? '');
          if (output !== undefined) entry.extracted[name] = output;
        }
        return entry;
      },
    };
  },
});
