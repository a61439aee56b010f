/**
 * `logfmt`: parses the line (or an extracted value) as logfmt and copies the
 * mapped keys into the extracted map.
 *
 *   - logfmt:
 *       mapping:          # required: extracted key -> logfmt key (empty: the same name)
 *         level:
 *         duration: took
 *       source: message   # extracted key to parse instead of the line (optional)
 *
 * Example: `level=info took=12ms msg="user logged in"` gives
 * `{level: "info", duration: "12ms"}`; unmapped keys (`msg`) are ignored.
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - Values are always strings (`took=12` gives "12"); a bare key (`debug`) gives "".
 *   - A syntax error (`a="unterminated`, `a=b=c`) stops parsing, but the keys read
 *     before it stay set (counted as `malformed_logfmt`); the line passes unchanged.
 *   - Every line of a multi-line input is a record: keys from all of them count,
 *     the last occurrence wins.
 *   - Mapping two extracted keys to the same logfmt key keeps only one of them
 *     (Promtail inverts the map); we keep the last one written.
 */
import { z } from 'zod';
import { decodeLogfmt } from '../../go/logfmt.js';
import { sourceText } from '../source_input.js';
import { defineStage, StageConfigError } from '../stage.js';

const schema = z.object({
  /** Extracted key -> logfmt key; an empty value means the same name. */
  mapping: z.record(z.string(), z.string().nullable()),
  /** Extracted key whose value is parsed instead of the line. */
  source: z.string().nullish(),
});

export const logfmt = defineStage({
  name: 'logfmt',
  schema,
  create(config, ctx) {
    if (Object.keys(config.mapping).length === 0)
      throw new StageConfigError('mapping', 'logfmt mapping is required');
    if (config.source === '') throw new StageConfigError('source', 'empty source');
    // logfmt key -> extracted key
    const wanted = new Map<string, string>();
    for (const [name, key] of Object.entries(config.mapping))
      wanted.set(key === null || key === '' ? name : key, name);
    const source = config.source ?? undefined;
    // One callback for the stage's life (no closure per line); it writes into the current entry's map.
    let extracted: Record<string, unknown> = {};
    const take = (key: string, value: string): void => {
      const name = wanted.get(key);
      if (name !== undefined) extracted[name] = value;
    };
    return {
      process(entry) {
        const input = sourceText(entry, source, ctx.countError);
        if (input === undefined) return entry;
        extracted = entry.extracted;
        if (decodeLogfmt(input, take) !== undefined) ctx.countError('malformed_logfmt');
        return entry;
      },
    };
  },
});
