import { z } from 'zod';
import { parseByteSize } from './byte_size.js';
import { duration, unsupported } from './fields.js';

/** `positions`: where file offsets are saved (Promtail's YAML format). */
export const positionsSchema = z.object({
  filename: z.string().default('/var/log/positions.yaml'),
  sync_period: duration('10s'),
  /** Start from scratch instead of failing when the positions file is corrupt. */
  ignore_invalid_yaml: z.boolean().default(false),
});

/** `target_config`: how often globs are re-evaluated for new files. */
export const targetConfigSchema = z.object({
  sync_period: duration('10s'),
});

/**
 * `limits_config`: applied to every line a source reads, before the pipeline.
 * readline_rate (lines/s) and readline_burst throttle reading; with
 * readline_rate_drop lines over the rate are dropped and counted instead.
 * max_line_size (bytes, 0 = no limit) drops longer lines, or truncates them
 * with max_line_size_truncate.
 */
export const limitsConfigSchema = z.object({
  readline_rate_enabled: z.boolean().default(false),
  readline_rate: z.number().positive().default(10_000),
  readline_burst: z.number().int().positive().default(10_000),
  readline_rate_drop: z.boolean().default(true),
  max_streams: unsupported(),
  max_line_size: z.union([z.number().int().min(0), z.string()]).default(0),
  max_line_size_truncate: z.boolean().default(false),
});

/** `global`: Promtail's file watch polling bounds. */
export const globalSchema = z.object({
  file_watch_config: z
    .object({
      min_poll_frequency: duration('250ms'),
      max_poll_frequency: duration('250ms'),
    })
    .prefault({}),
});

export const sectionsUnsupported = {
  /** Promtail's `options.stream_lag_labels` (deprecated there). */
  options: unsupported(),
  tracing: unsupported(),
  wal: unsupported(),
};

/**
 * `spool` (whodunit's addition, not in Promtail): the on-disk buffer between
 * sources and clients. Every entry is written here before it is sent, and a
 * source's position moves only once its entries are durable here, so a Loki
 * outage or a crash loses nothing. When it holds `max_bytes`, file sources stop
 * reading and the push/syslog receivers answer 429 / pause their sockets.
 */
export const spoolSchema = z.object({
  /** Segment files live here. Default: `spool/` beside `positions.filename`. */
  directory: z.string().optional(),
  /** Upper bound of unacknowledged data on disk (`512MiB`, `1GiB` or a number of bytes). */
  max_bytes: z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const bytes = parseByteSize(value);
      if (bytes === undefined || bytes <= 0) {
        ctx.addIssue({ code: 'custom', message: 'invalid size: use bytes or a unit such as 512MiB or 1GiB' });
        return z.NEVER;
      }
      return bytes;
    })
    .prefault('1GiB'),
  /** Group-commit window: appends within it share one fdatasync. */
  fsync_interval: duration('10ms'),
});
