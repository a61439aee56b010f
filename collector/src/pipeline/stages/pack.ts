/**
 * `pack`: moves chosen labels and extracted values into the line, which becomes
 * a JSON object `{"<name>":"<value>",...,"_entry":"<original line>"}` (Loki's
 * `| unpack` reverses it), and removes those names from the labels.
 *
 *   - pack:
 *       labels: [container, pod]   # names looked up in the extracted map (labels are in it too)
 *       ingest_timestamp: true     # replace the timestamp with the time of packing (default true)
 *
 * Example: labels `{job: app, container: web}` and line `started` with
 * `labels: [container]` give labels `{job: app}` and the line
 * `{"container":"web","_entry":"started"}`.
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - Names are read from the extracted map, so a value a parser extracted can be
 *     packed even if it was never a label; a label the pipeline changed after the
 *     map was seeded is packed with its seeded (extracted) value.
 *   - A name whose value is null or an object is skipped and stays a label.
 *   - Keys are sorted, `_entry` comes last, and `<`, `>`, `&` are escaped as
 *     `\u003c`..., exactly as Promtail's JSON encoder writes them.
 *   - `ingest_timestamp` defaults to true: the original timestamp is lost unless
 *     you set it to false (Promtail does this to avoid out-of-order rejects).
 */
import { z } from 'zod';
import { extractedToString } from '../../go/strconv.js';
import { defineStage } from '../stage.js';

const schema = z.object({
  /** Names (from the extracted map, which includes labels) to pack into the line. */
  labels: z.array(z.string()).nullish(),
  /** Replace the entry's timestamp with the time of packing. Default true. */
  ingest_timestamp: z.boolean().nullish().default(true),
});

/** JSON text of a string as Go's encoder writes it (HTML-safe, U+2028/2029 escaped). */
function goJsonString(value: string): string {
  const text = JSON.stringify(value);
  return /[<>&\u2028\u2029]/.test(text)
    ? text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;
}

export const pack = defineStage({
  name: 'pack',
  schema,
  create(config, ctx) {
    const names = [...new Set(config.labels ?? [])].sort();
    const keys = names.map((n) => `${goJsonString(n)}:`);
    const ingestTimestamp = config.ingest_timestamp ?? true;
    return {
      process(entry) {
        let text = '{';
        for (let i = 0; i < names.length; i++) {
          const name = names[i] as string;
          const value = entry.extracted[name];
          if (value === undefined) continue;
          const str = typeof value === 'string' ? value : extractedToString(value);
          if (str === undefined) continue;
          text += `${keys[i] as string}${goJsonString(str)},`;
          delete entry.labels[name];
        }
        entry.line = `${text}"_entry":${goJsonString(entry.line)}}`;
        if (ingestTimestamp) entry.timestamp = ctx.clock.now();
        return entry;
      },
    };
  },
});
