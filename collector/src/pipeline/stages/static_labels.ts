import { z } from 'zod';
import { isValidLabelName } from '../label_name.js';
import { defineStage, StageConfigError } from '../stage.js';

/**
 * `static_labels`: adds fixed labels to every entry, overwriting a label of the
 * same name. A null or empty value is skipped (the label is neither set nor
 * removed), as in Promtail.
 *
 * Where we differ: Promtail refuses a number or boolean value at start-up
 * (`port: 8080`); we write it as text ("8080"). Label names must be Loki's
 * classic names (`[a-zA-Z_][a-zA-Z0-9_]*`): Promtail 3.4 accepts any UTF-8
 * name here, which Loki then rejects with the whole batch.
 *
 *   - static_labels: { env: prod, team: payments }
 *   line "hello" -> labels {env="prod", team="payments"}
 *
 * Keys: any label name -> value (string, or null to skip).
 */
export const staticLabels = defineStage({
  name: 'static_labels',
  schema: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).nullable()),
  create(config) {
    const add: [string, string][] = [];
    for (const [name, value] of Object.entries(config)) {
      if (!isValidLabelName(name)) throw new StageConfigError(name, `invalid label name "${name}"`);
      if (value !== null && value !== '') add.push([name, String(value)]);
    }
    return {
      process(entry) {
        for (const [name, value] of add) entry.labels[name] = value;
        return entry;
      },
    };
  },
});
