import { z } from 'zod';
import { droppedLines } from '../counters.js';
import type { Entry } from '../entry.js';
import { defineStage, StageConfigError } from '../stage.js';
import { TokenBucket } from '../token_bucket.js';

const MIN_DISTINCT_LABELS = 10_000;
const DROP_REASON = 'ratelimit_drop_stage';

/**
 * `limit`: rate-limits entries with a token bucket, dropping or delaying
 * entries over the rate.
 *
 *   - rate (lines/s, > 0) and burst (> 0): required.
 *   - drop: true drops entries over the limit, counted in
 *     logentry_dropped_lines_total{reason="ratelimit_drop_stage"}. false (the
 *     default) delays them, as Promtail's limiter waits: entries are held, in
 *     order, and released by flush() as tokens come back. Held entries are
 *     bounded (10 x burst); past that they are dropped and counted, where
 *     Promtail would block the whole pipeline.
 *   - by_label_name: one bucket per value of that label (entries without the
 *     label are not limited); requires drop: true, as in Promtail.
 *   - max_distinct_labels: how many buckets to keep (raised to at least
 *     10000, as Promtail does); past that the oldest generation is forgotten.
 *
 *   - limit: { rate: 10, burst: 10, drop: true }
 *   20 lines in the same instant -> the first 10 pass, 10 are dropped.
 */
export const limit = defineStage({
  name: 'limit',
  schema: z.object({
    rate: z.number(),
    burst: z.number().int(),
    drop: z.boolean().default(false),
    by_label_name: z.string().default(''),
    max_distinct_labels: z.number().int().default(MIN_DISTINCT_LABELS),
  }),
  create(config, ctx) {
    if (!(config.rate > 0) || !(config.burst > 0)) {
      throw new StageConfigError(
        config.rate > 0 ? 'burst' : 'rate',
        'rate and burst must both be greater than 0',
      );
    }
    if (config.by_label_name !== '' && !config.drop) {
      throw new StageConfigError('drop', 'when rate limiting by label, drop must be true');
    }
    const dropped = droppedLines(ctx.metrics).labels({ reason: DROP_REASON });
    const newBucket = () => new TokenBucket(config.rate, config.burst);

    if (config.by_label_name !== '') {
      const label = config.by_label_name;
      const max = Math.max(config.max_distinct_labels, MIN_DISTINCT_LABELS);
      // Two generations: when the current one is full it becomes the old one,
      // and buckets still in use move back on their next entry.
      let current = new Map<string, TokenBucket>();
      let old = new Map<string, TokenBucket>();
      const bucketFor = (value: string): TokenBucket => {
        let bucket = current.get(value);
        if (bucket) return bucket;
        bucket = old.get(value) ?? newBucket();
        if (current.size >= max) {
          old = current;
          current = new Map();
        }
        current.set(value, bucket);
        return bucket;
      };
      return {
        process(entry) {
          const value = entry.labels[label];
          if (value === undefined) return entry;
          if (bucketFor(value).allow(ctx.clock.now())) return entry;
          dropped.inc();
          return undefined;
        },
      };
    }

    const bucket = newBucket();
    if (config.drop) {
      return {
        process(entry) {
          if (bucket.allow(ctx.clock.now())) return entry;
          dropped.inc();
          return undefined;
        },
      };
    }

    const held: Entry[] = [];
    const maxHeld = config.burst * 10;
    return {
      process(entry) {
        if (held.length === 0 && bucket.allow(ctx.clock.now())) return entry;
        if (held.length >= maxHeld) {
          dropped.inc();
          ctx.countError('limit_queue_full');
          return undefined;
        }
        held.push(entry);
        return undefined;
      },
      flush(now, force) {
        if (force) return held.splice(0);
        let n = 0;
        while (n < held.length && bucket.allow(now)) n++;
        return held.splice(0, n);
      },
      held(visit) {
        // In order: per file, the first one reported is the oldest.
        for (const entry of held) if (entry.origin) visit(entry.origin);
      },
    };
  },
});
