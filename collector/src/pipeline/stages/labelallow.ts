import { z } from 'zod';
import { defineStage } from '../stage.js';

/**
 * `labelallow`: keeps only the listed labels and removes every other one.
 * Surprising but Promtail's: reserved labels such as `__tenant_id__` (set by
 * `tenant`) are removed too unless listed, so put `tenant` after `labelallow`
 * or list `__tenant_id__`.
 *
 *   - labelallow: [job, level]
 *   labels {job="a", level="info", filename="/x"} -> {job="a", level="info"}
 */
export const labelallow = defineStage({
  name: 'labelallow',
  schema: z.array(z.string()),
  create(config) {
    const keep = new Set(config);
    return {
      process(entry) {
        for (const name of Object.keys(entry.labels)) {
          if (!keep.has(name)) delete entry.labels[name];
        }
        return entry;
      },
    };
  },
});
