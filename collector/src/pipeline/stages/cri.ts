/**
 * `cri`: reads the CRI log format that containerd and CRI-O write,
 * `<RFC3339Nano time> <stdout|stderr> <P|F> <content>`, and joins partial lines
 * (`P`, a long line the runtime split) with the full line (`F`) that ends them.
 *
 *   - cri:
 *       max_partial_lines: 100                 # streams that may hold partial lines at once (default 100)
 *       max_partial_line_size: 0               # bytes kept per partial line, with truncate (e.g. 262144 or "256KiB")
 *       max_partial_line_size_truncate: false  # cut partial lines to max_partial_line_size
 *
 * Example: `2019-04-30T02:12:41.8443515Z stdout F message` becomes the line
 * `message` with the label `stream="stdout"` and that timestamp; the extracted map
 * holds `time`, `stream`, `flags` and `content`. The lines
 * `... stdout P hello ` and `... stdout F world` become one line `hello world`
 * (no separator: the runtime split one line) with the F line's timestamp.
 *
 * As in Promtail, the parsing is the pipeline
 *   regex `^(?s)(?P<time>\S+?) (?P<stream>stdout|stderr) (?P<flags>\S+?) (?P<content>.*)$`,
 *   labels { stream: }, timestamp { source: time, format: RFC3339Nano }, output { source: content }
 * followed by the joining of partial lines, per label set (so stdout and stderr
 * are joined separately). Promtail behaviours kept on purpose, because they surprise:
 *   - `max_partial_lines` limits the number of streams holding partial lines, not
 *     the number of parts: when a new partial line finds the limit reached, every
 *     held line is released as it is, unjoined.
 *   - A line that is not CRI passes unchanged (counted by regex as `no_match`).
 *   - Truncation applies to the joined text each time a part is added.
 *   - The joined entry is the F line's: its timestamp, and its extracted map, where
 *     `content` holds only the last part (the line holds all of them).
 * Where we differ: held partial lines are released at shutdown or end of input
 * (flush), where Promtail loses them; truncation cuts at a character boundary, not
 * in the middle of a UTF-8 sequence; `max_partial_line_size_truncate` with a size of
 * 0 is a config error (Promtail would empty every partial line).
 */
import { z } from 'zod';
import type { Entry } from '../entry.js';
import { defineStage, StageConfigError } from '../stage.js';
import { streamKey } from '../stream_key.js';

const CRI_EXPRESSION = '^(?s)(?P<time>\\S+?) (?P<stream>stdout|stderr) (?P<flags>\\S+?) (?P<content>.*)$';

const schema = z.object({
  /** How many streams may hold a partial line at once. Default 100. */
  max_partial_lines: z.number().int().min(0).nullish().default(100),
  /** Byte limit for a held partial line when truncating: a number or a size such as `256KiB`. */
  max_partial_line_size: z
    .union([z.number().int().min(0), z.string()])
    .nullish()
    .default(0),
  /** Cut held partial lines to max_partial_line_size. */
  max_partial_line_size_truncate: z.boolean().nullish().default(false),
});

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  kib: 1024,
  mb: 1e6,
  mib: 1024 ** 2,
  gb: 1e9,
  gib: 1024 ** 3,
};

function parseByteSize(value: number | string): number | undefined {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? UNITS[(m[2] as string).toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : undefined;
}

/** The longest prefix of `line` of at most `max` UTF-8 bytes that ends on a character boundary. */
function truncateUtf8(line: string, max: number): string {
  if (line.length * 3 <= max) return line;
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= max) return line;
  let end = max;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

export const cri = defineStage({
  name: 'cri',
  schema,
  create(config, ctx) {
    const maxStreams = config.max_partial_lines || 100;
    const truncate = config.max_partial_line_size_truncate === true;
    const size = parseByteSize(config.max_partial_line_size ?? 0);
    if (size === undefined) {
      throw new StageConfigError('max_partial_line_size', `invalid size "${config.max_partial_line_size}"`);
    }
    if (truncate && size === 0) {
      throw new StageConfigError(
        'max_partial_line_size',
        'must be greater than 0 when max_partial_line_size_truncate is true (0 would empty every partial line)',
      );
    }
    const fit = (entry: Entry): void => {
      if (truncate) entry.line = truncateUtf8(entry.line, size);
    };
    const parse = ctx.buildPipeline(
      [
        { regex: { expression: CRI_EXPRESSION } },
        { labels: { stream: null } },
        { timestamp: { source: 'time', format: 'RFC3339Nano' } },
        { output: { source: 'content' } },
      ],
      ctx.path,
    );
    // Per stream (label set): the partial line held so far, its parts already joined.
    const partials = new Map<string, Entry>();

    const join = (entry: Entry, out: Entry[]): void => {
      const key = streamKey(entry.labels);
      const held = partials.get(key);
      if (entry.extracted.flags === 'P') {
        if (partials.size >= maxStreams) {
          ctx.logger.warn('cri stage: partial lines upperbound exceeded. merging it to single line', {
            threshold: maxStreams,
          });
          out.push(...partials.values());
          partials.clear();
        } else if (held !== undefined) {
          entry.line = held.line + entry.line;
          entry.origin = held.origin; // where the joined line starts
        }
        fit(entry);
        partials.set(key, entry);
        return;
      }
      if (held !== undefined) {
        entry.line = held.line + entry.line;
        entry.origin = held.origin;
        fit(entry);
        partials.delete(key);
      }
      out.push(entry);
    };

    return {
      process(entry) {
        const parsed = parse.process(entry);
        if (parsed === undefined) return undefined;
        const out: Entry[] = [];
        if (Array.isArray(parsed)) for (const e of parsed) join(e, out);
        else join(parsed, out);
        return out.length === 0 ? undefined : out.length === 1 ? out[0] : out;
      },
      flush(_now, force) {
        if (!force) return [];
        const held = [...partials.values()];
        partials.clear();
        return held;
      },
      held(visit) {
        for (const entry of partials.values()) if (entry.origin) visit(entry.origin);
      },
    };
  },
});
