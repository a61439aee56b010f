import { z } from 'zod';
import { GoRegexpError } from '../../go/regexp.js';
import { droppedLines } from '../counters.js';
import type { LineOrigin } from '../entry.js';
import { compileSelector, SelectorError } from '../logql_selector.js';
import { defineStage, StageConfigError } from '../stage.js';

/**
 * `match`: runs nested stages only on entries matching a LogQL selector, or
 * drops those entries.
 *
 *   - selector (required): `{label="v", other=~"re"}` plus optional line
 *     filters `|= "text"`, `!= "text"`, `|~ "re"`, `!~ "re"`.
 *   - action: `keep` (default): matching entries go through `stages`
 *     (required, at least one); others pass unchanged. `drop`: matching
 *     entries are dropped (no `stages` allowed), counted in
 *     logentry_dropped_lines_total with `drop_counter_reason` (default `match_stage`).
 *   - pipeline_name: names the nested pipeline (may be omitted, not empty).
 *
 *   - match:
 *       selector: '{app="nginx"} |= "GET /health"'
 *       action: drop
 *       drop_counter_reason: healthchecks
 *   line `GET /health 200` with label app="nginx" -> dropped.
 */
export const match = defineStage({
  name: 'match',
  schema: z.object({
    selector: z.string(),
    stages: z.array(z.unknown()).optional(),
    action: z.enum(['keep', 'drop']).default('keep'),
    drop_counter_reason: z.string().optional(),
    pipeline_name: z.string().optional(),
  }),
  create(config, ctx) {
    if (config.pipeline_name === '') {
      throw new StageConfigError(
        'pipeline_name',
        'pipeline_name can be omitted but cannot be an empty string',
      );
    }
    const stages = config.stages ?? [];
    if (config.action === 'keep' && stages.length === 0) {
      throw new StageConfigError('stages', 'match needs at least one stage in "stages" (or action: drop)');
    }
    if (config.action === 'drop' && stages.length > 0) {
      throw new StageConfigError('stages', 'a match with action: drop cannot have stages');
    }
    // Nested stages first, so their problems are reported even when the selector is bad too.
    const nested = config.action === 'keep' ? ctx.buildPipeline(stages, `${ctx.path}.stages`) : undefined;
    let test;
    try {
      test = compileSelector(config.selector);
    } catch (err) {
      if (err instanceof SelectorError || err instanceof GoRegexpError) {
        throw new StageConfigError('selector', `invalid selector: ${err.message}`);
      }
      throw err;
    }
    if (config.action === 'drop') {
      const dropped = droppedLines(ctx.metrics).labels({
        reason: config.drop_counter_reason || 'match_stage',
      });
      return {
        process(entry) {
          if (!test(entry)) return entry;
          dropped.inc();
          return undefined;
        },
      };
    }
    const keep = nested as NonNullable<typeof nested>;
    return {
      process(entry) {
        return test(entry) ? keep.process(entry) : entry;
      },
      ...(keep.flush ? { flush: (now: bigint, force: boolean) => keep.flush?.(now, force) ?? [] } : {}),
      ...(keep.held ? { held: (visit: (origin: LineOrigin) => void) => keep.held?.(visit) } : {}),
    };
  },
});
