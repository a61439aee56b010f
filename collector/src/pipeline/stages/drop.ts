import { z } from 'zod';
import { parseByteSize } from '../../config/byte_size.js';
import { parseDuration } from '../../config/duration.js';
import { compileGoRegexp, GoRegexpError } from '../../go/regexp.js';
import { extractedToString } from '../../go/strconv.js';
import { droppedLines } from '../counters.js';
import type { Entry } from '../entry.js';
import { defineStage, StageConfigError } from '../stage.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/**
 * `drop`: drops entries that meet EVERY condition given (at least one of
 * source, expression, older_than, longer_than), and counts them.
 *
 *   - source: extracted key, or a list of keys. Alone: drop when all are present.
 *   - value: with source: drop when the values (joined by `separator`, default
 *     `;`) equal it exactly. Cannot be combined with expression.
 *   - expression: a Go regular expression, unanchored; tested against the line,
 *     or against the joined source values when source is given.
 *   - older_than: a duration; drop when the entry's timestamp is older than now
 *     minus it.
 *   - longer_than: a size (`8KB`); drop when the line is longer, in bytes.
 *   - drop_counter_reason: the `reason` in logentry_dropped_lines_total
 *     (default `drop_stage`).
 * Surprising but Promtail's: with several sources, missing ones are left out of
 * the joined value rather than failing the match; and a value that cannot be
 * text (a map) never matches.
 *
 *   - drop: { source: level, value: debug }
 *   line with extracted level="debug" -> dropped, counted as reason="drop_stage"
 */
export const drop = defineStage({
  name: 'drop',
  schema: z.object({
    source: z.union([z.string(), z.array(z.string())]).optional(),
    value: scalar.optional(),
    separator: z.string().optional(),
    expression: z.string().optional(),
    older_than: z.string().optional(),
    longer_than: z.union([z.string(), z.number()]).optional(),
    drop_counter_reason: z.string().optional(),
  }),
  create(config, ctx) {
    const sources = config.source === undefined ? undefined : [config.source].flat();
    if (
      !sources &&
      config.expression === undefined &&
      config.older_than === undefined &&
      config.longer_than === undefined
    ) {
      throw new StageConfigError(
        '',
        'drop needs at least one of source, expression, older_than or longer_than',
      );
    }
    if (config.value !== undefined && !sources) throw new StageConfigError('value', 'value needs source');
    if (config.value !== undefined && config.expression !== undefined) {
      throw new StageConfigError('expression', 'value and expression cannot both be set');
    }
    let regex: RegExp | undefined;
    if (config.expression !== undefined) {
      try {
        regex = compileGoRegexp(config.expression).regex;
      } catch (err) {
        if (err instanceof GoRegexpError)
          throw new StageConfigError('expression', `invalid regular expression: ${err.message}`);
        throw err;
      }
    }
    const exactValue = config.value;
    let olderThanNs: bigint | undefined;
    if (config.older_than !== undefined) {
      const ms = parseDuration(config.older_than);
      if (ms === undefined)
        throw new StageConfigError('older_than', 'invalid duration: use a Go duration such as 24h');
      olderThanNs = BigInt(Math.round(ms * 1e6));
    }
    let longerThan: number | undefined;
    if (config.longer_than !== undefined) {
      longerThan = parseByteSize(config.longer_than);
      if (longerThan === undefined)
        throw new StageConfigError('longer_than', 'invalid size: use bytes or a unit such as 8KB');
    }
    const separator = config.separator ?? ';';
    const reason = config.drop_counter_reason || 'drop_stage';
    const dropped = droppedLines(ctx.metrics).labels({ reason });

    const sourceText = (entry: Entry): string | undefined => {
      const parts: string[] = [];
      for (const source of sources as string[]) {
        const value = entry.extracted[source];
        if (value === undefined) continue;
        const text = extractedToString(value);
        if (text === undefined) return undefined;
        parts.push(text);
      }
      return parts.join(separator);
    };

    const shouldDrop = (entry: Entry): boolean => {
      if (longerThan !== undefined && Buffer.byteLength(entry.line) <= longerThan) return false;
      if (olderThanNs !== undefined && entry.timestamp >= ctx.clock.now() - olderThanNs) return false;
      if (sources && regex === undefined && exactValue === undefined) {
        return sources.every((source) => entry.extracted[source] !== undefined);
      }
      if (!sources && regex) return regex.test(entry.line);
      if (sources) {
        const text = sourceText(entry);
        if (text === undefined) return false;
        return exactValue !== undefined ? text === exactValue : (regex as RegExp).test(text);
      }
      return true;
    };

    return {
      process(entry) {
        if (!shouldDrop(entry)) return entry;
        dropped.inc();
        return undefined;
      },
    };
  },
});
