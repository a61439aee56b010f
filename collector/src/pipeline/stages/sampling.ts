import { z } from 'zod';
import { droppedLines } from '../counters.js';
import { defineStage } from '../stage.js';

/**
 * `sampling`: keeps each entry with probability `rate` (0 to 1) and drops the
 * rest, counted in logentry_dropped_lines_total with `drop_counter_reason`
 * (default `sampling_stage`). Usually inside a `match` so only some streams
 * are sampled.
 *
 * Where we differ: Promtail reads a missing `rate` as 0 and silently drops
 * every entry; here `rate` is required.
 *
 *   - match: { selector: '{app="nginx"} |= "GET /health"', stages: [ { sampling: { rate: 0.1 } } ] }
 *   keeps about one health check in ten.
 */
export const sampling = defineStage({
  name: 'sampling',
  schema: z.object({
    rate: z.number().min(0).max(1),
    drop_counter_reason: z.string().optional(),
  }),
  create(config, ctx) {
    const dropped = droppedLines(ctx.metrics).labels({
      reason: config.drop_counter_reason || 'sampling_stage',
    });
    const rate = config.rate;
    return {
      process(entry) {
        if (rate >= 1 || (rate > 0 && Math.random() < rate)) return entry;
        dropped.inc();
        return undefined;
      },
    };
  },
});
