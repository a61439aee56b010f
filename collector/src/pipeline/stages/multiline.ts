/**
 * `multiline`: joins the lines of one event (a stack trace, a wrapped SQL
 * statement) into a single entry. A block starts at a line matching `firstline`
 * and takes every following line of the same stream until the next first line.
 *
 *   - multiline:
 *       firstline: '^\d{4}-\d{2}-\d{2} '  # Go regular expression (required)
 *       max_wait_time: 3s                 # release a block after this long without a new line (default 3s)
 *       max_lines: 128                    # release a block when it has this many lines (default 128; 0: no limit)
 *
 * Example: `2024-01-01 ERROR boom`, `java.lang.X: boom`, `\tat A.b(A.java:1)`,
 * `2024-01-01 INFO ok` give two entries; the first is the three lines joined with
 * `\n`, with the timestamp, labels and extracted map of its first line.
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - A stream is its label set as the entry reaches this stage. Lines of a stream
 *     that has never had a first line pass through unchanged, one by one.
 *   - Once a stream has had a first line, later lines that are not first lines are
 *     always held: after a block was released (by time or `max_lines`), they form a
 *     new block that takes the timestamp and labels of the last first line seen.
 *   - `max_wait_time` counts from the last line added to the block, not from its start.
 * Where we differ: a block made only of empty lines is released, not dropped; at most
 * 10,000 streams are tracked (the least recently used one is released and forgotten).
 */
import { z } from 'zod';
import { parseDuration } from '../../config/duration.js';
import { compileGoRegexp } from '../../go/regexp.js';
import { sameFile, type Entry, type LineOrigin } from '../entry.js';
import { defineStage, StageConfigError } from '../stage.js';
import { streamKey } from '../stream_key.js';

const MAX_STREAMS = 10_000;

const schema = z.object({
  /** Go regular expression that matches the first line of a block. */
  firstline: z.string(),
  /** How long a block waits for its next line before it is released (Go duration). */
  max_wait_time: z.string().nullish().default('3s'),
  /** Lines after which a block is released; 0 means no limit. */
  max_lines: z.number().int().min(0).nullish().default(128),
});

interface Block {
  /** The last first line of the stream: the collapsed entry's timestamp, labels and extracted map. */
  start: Entry;
  lines: string[];
  /**
   * Where the held lines were read: the first held line of each file (one,
   * unless the stream's labels leave files apart). Empty for lines not read from a file.
   */
  origins: LineOrigin[];
  /** Clock reading when the last line was added. */
  lastLineAt: bigint;
}

export const multiline = defineStage({
  name: 'multiline',
  schema,
  create(config, ctx) {
    let firstline: RegExp;
    try {
      firstline = compileGoRegexp(config.firstline).regex;
    } catch (err) {
      throw new StageConfigError(
        'firstline',
        `multiline stage first line regex compilation error: ${(err as Error).message}`,
      );
    }
    const waitMs = config.max_wait_time == null ? 3000 : parseDuration(config.max_wait_time);
    if (waitMs === undefined || waitMs < 0) {
      throw new StageConfigError(
        'max_wait_time',
        `multiline stage \`max_wait_time\` parse error: time: invalid duration "${config.max_wait_time}"`,
      );
    }
    const maxWait = BigInt(Math.round(waitMs * 1e6));
    const maxLines = config.max_lines ?? 128;
    const streams = new Map<string, Block>();

    const release = (block: Block, out: Entry[]): void => {
      if (block.lines.length === 0) return;
      const start = block.start;
      out.push({
        timestamp: start.timestamp,
        line: block.lines.join('\n'),
        // Object.assign, not spread: V8 makes adding keys to a spread copy ~100x slower.
        labels: Object.assign({}, start.labels),
        structuredMetadata: Object.assign({}, start.structuredMetadata),
        extracted: Object.assign({}, start.extracted),
        origin: block.origins[0],
      });
      block.lines = [];
      if (block.origins.length > 0) block.origins = [];
    };

    return {
      process(entry) {
        const key = streamKey(entry.labels);
        const isFirst = firstline.test(entry.line);
        let block = streams.get(key);
        const out: Entry[] = [];
        if (block === undefined) {
          if (!isFirst) return entry;
          block = { start: entry, lines: [], origins: [], lastLineAt: 0n };
          if (streams.size >= MAX_STREAMS) {
            const [oldestKey, oldest] = streams.entries().next().value as [string, Block];
            release(oldest, out);
            streams.delete(oldestKey);
          }
        } else {
          streams.delete(key); // re-inserted below: the map's order is least recently used first
        }
        streams.set(key, block);
        if (isFirst) {
          release(block, out);
          block.start = entry;
        }
        block.lines.push(entry.line);
        const origin = entry.origin;
        if (origin !== undefined && !block.origins.some((o) => sameFile(o.file, origin.file)))
          block.origins.push(origin);
        block.lastLineAt = ctx.clock.now();
        if (block.lines.length === maxLines) release(block, out);
        return out.length === 0 ? undefined : out.length === 1 ? out[0] : out;
      },
      flush(now, force) {
        const out: Entry[] = [];
        for (const block of streams.values()) {
          if (force || now - block.lastLineAt >= maxWait) release(block, out);
        }
        return out;
      },
      held(visit) {
        for (const block of streams.values()) for (const origin of block.origins) visit(origin);
      },
    };
  },
});
