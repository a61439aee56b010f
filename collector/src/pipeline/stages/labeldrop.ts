import { z } from 'zod';
import { defineStage } from '../stage.js';

/**
 * `labeldrop`: removes the listed labels (reserved ones such as `__tenant_id__`
 * too, if listed). Names that are not present are ignored.
 *
 *   - labeldrop: [filename, pod]
 *   labels {filename="/x", job="a"} -> {job="a"}
 */
export const labeldrop = defineStage({
  name: 'labeldrop',
  schema: z.array(z.string()),
  create(config) {
    const names = [...new Set(config)];
    return {
      process(entry) {
        for (const name of names) delete entry.labels[name];
        return entry;
      },
    };
  },
});
