/**
 * `regex`: matches a Go (RE2) regular expression against the line, or against an
 * extracted value, and copies each named group into the extracted map.
 *
 *   - regex:
 *       expression: '^(?P<ip>\S+) \S+ \S+ \[(?P<ts>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+)'  # required
 *       source: message     # extracted key to match instead of the line (optional)
 *
 * Example: with the expression above, the line
 * `10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /api HTTP/1.1" 200 12` adds
 * `{ip: "10.0.0.1", ts: "10/Oct/2023:13:55:36 +0000", method: "GET", path: "/api"}`
 * to the extracted map; the line itself is unchanged.
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - An optional named group that did not take part in the match is still set,
 *     to the empty string (Go's FindStringSubmatch), overwriting an earlier value.
 *   - A line that does not match passes unchanged and sets nothing (counted as `no_match`).
 *   - A `source` that is missing, null or an object skips the stage (counted as
 *     `missing_source` / `not_a_string`); numbers and booleans are matched as text
 *     (`1e21` as `1000000000000000000000`, Go's formatting).
 *   - The expression is Go's syntax, not JavaScript's: see src/go/regexp.ts for
 *     what is translated and what is refused (backreferences, lookaround).
 */
import { z } from 'zod';
import { sourceText } from '../source_input.js';
import { compileStageExpression } from '../stage_regexp.js';
import { defineStage } from '../stage.js';

const schema = z.object({
  /** A Go regular expression; named groups become extracted keys. */
  expression: z.string(),
  /** Extracted key whose value is matched instead of the line. */
  source: z.string().nullish(),
});

export const regex = defineStage({
  name: 'regex',
  schema,
  create(config, ctx) {
    const re = compileStageExpression(config, 'empty source');
    const named: [index: number, name: string][] = [];
    re.groupNames.forEach((name, index) => {
      if (index > 0 && name !== '') named.push([index, name]);
    });
    const source = config.source ?? undefined;
    const pattern = re.regex;
    return {
      process(entry) {
        const input = sourceText(entry, source, ctx.countError);
        if (input === undefined) return entry;
        const match = pattern.exec(input);
        if (match === null) {
          ctx.countError('no_match');
          return entry;
        }
        for (const [index, name] of named) entry.extracted[name] = match[index] ?? '';
        return entry;
      },
    };
  },
});
