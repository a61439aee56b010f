import type { Registry } from 'prom-client';
import { parseByteSize } from './config/byte_size.js';
import type { Config } from './config/schema.js';
import { droppedEntries, droppedLines } from './pipeline/counters.js';
import type { Entry } from './pipeline/entry.js';
import type { Clock } from './pipeline/stage.js';
import { TokenBucket } from './pipeline/token_bucket.js';

export type LimitsConfig = Config['limits_config'];

/**
 * `limits_config`, applied to what leaves the pipeline (where Promtail applies
 * its read-line limiter too):
 *   - max_line_size (bytes; 0 = none): longer lines are dropped, counted in
 *     dropped_entries_total{reason="line_too_long"}, or cut to the limit (on a
 *     UTF-8 character boundary) with max_line_size_truncate.
 *   - readline_rate / readline_burst, when readline_rate_enabled: a token
 *     bucket shared by all targets. With readline_rate_drop (Promtail's
 *     default) entries over the rate are dropped and counted as
 *     logentry_dropped_lines_total{reason="global_rate_limiter_drop"};
 *     otherwise the reader waits (`takeTokenOrDelay` says how long).
 */
export interface Limits {
  /** The entry (possibly truncated), or undefined when it must be dropped. */
  admit(entry: Entry): Entry | undefined;
  /**
   * In waiting mode (readline_rate_drop: false): takes a token for the next
   * entry and returns 0, or returns how many milliseconds to wait before asking
   * again. Always 0 in the other modes.
   */
  takeTokenOrDelay(): number;
}

export function createLimits(config: LimitsConfig, metrics: Registry, clock: Clock): Limits {
  const maxBytes = parseByteSize(config.max_line_size) ?? 0;
  const truncate = config.max_line_size_truncate;
  const tooLong = droppedEntries(metrics).labels({ reason: 'line_too_long' });
  const rateDropped = droppedLines(metrics).labels({ reason: 'global_rate_limiter_drop' });
  const bucket = config.readline_rate_enabled
    ? new TokenBucket(config.readline_rate, config.readline_burst)
    : undefined;
  const dropOverRate = config.readline_rate_drop;

  return {
    admit(entry) {
      if (maxBytes > 0 && entry.line.length * 3 > maxBytes && Buffer.byteLength(entry.line) > maxBytes) {
        if (!truncate) {
          tooLong.inc();
          return undefined;
        }
        entry.line = truncateUtf8(entry.line, maxBytes);
      }
      if (bucket && dropOverRate && !bucket.allow(clock.now())) {
        rateDropped.inc();
        return undefined;
      }
      return entry;
    },
    takeTokenOrDelay() {
      if (!bucket || dropOverRate) return 0;
      if (bucket.allow(clock.now())) return 0;
      return Math.max(1, Math.ceil(1000 / config.readline_rate));
    },
  };
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
