/**
 * `template`: sets an extracted value from a Go text/template.
 *
 *   - template:
 *       source: app                              # extracted key to write (required)
 *       template: '{{ .Value | ToUpper }}-{{ .env }}' # Go template (default: empty)
 *
 * The template sees every extracted value that has a text form as `.key`, the
 * source's current value as `.Value`, and the log line as `.Entry`. Functions: Go's
 * builtins, the sprig functions pipelines use, and Promtail's ToLower, ToUpper,
 * Replace, Trim, TrimLeft, TrimRight, TrimPrefix, TrimSuffix, TrimSpace, Hash,
 * Sha2Hash, regexReplaceAll, regexReplaceAllLiteral (see src/go/template.ts).
 *
 * Example: extracted `{app: "loki", level: "warn"}` with
 * `template: '{{ .level }} for app {{ ToUpper .Value }}'` and `source: app` sets
 * app to `warn for app LOKI`.
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - A result of "" deletes the source key from the extracted map (so an empty or
 *     missing `template` deletes it).
 *   - A key that is missing prints `<no value>` (`{{ .nope }}`), but passing it to a
 *     function that wants a string (`{{ ToUpper .nope }}`) is an execution error.
 *   - On an execution error the extracted map is left unchanged (counted as
 *     `execution_failed`).
 *   - Values without a text form (objects, arrays, null) are not visible to the
 *     template at all; numbers appear as Promtail prints them (`1e21` in full).
 *   - `.Value` is absent when the source key is missing: `{{ .Value }}` prints `<no value>`.
 * A bad template is a config error at start-up, worded as Go's parser words it.
 */
import { z } from 'zod';
import { defineStage, StageConfigError } from '../stage.js';
import { compileGoTemplate, TemplateParseError, type GoTemplate } from '../../go/template.js';
import { extractedToString } from '../../go/strconv.js';

const schema = z.object({
  source: z
    .string({ error: 'template source value is required' })
    .min(1, { error: 'template source value is required' }),
  template: z.string().default(''),
});

export const template = defineStage({
  name: 'template',
  schema,
  create(config, ctx) {
    let compiled: GoTemplate;
    try {
      compiled = compileGoTemplate('pipeline_template', config.template);
    } catch (err) {
      if (err instanceof TemplateParseError) throw new StageConfigError('template', err.message);
      throw err;
    }
    const source = config.source;
    return {
      process(entry) {
        const data: Record<string, string> = {};
        const extracted = entry.extracted;
        for (const key in extracted) {
          const raw = extracted[key];
          const text = typeof raw === 'string' ? raw : extractedToString(raw);
          if (text !== undefined) data[key] = text;
        }
        // Set after the copy so a key named `Value` or `Entry` cannot shadow them.
        const value = data[source];
        if (value !== undefined) data.Value = value;
        data.Entry = entry.line;
        let result: string;
        try {
          result = compiled.execute(data);
        } catch {
          ctx.countError('execution_failed');
          return entry;
        }
        if (result === '') delete extracted[source];
        else extracted[source] = result;
        return entry;
      },
    };
  },
});
