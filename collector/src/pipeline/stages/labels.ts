import { compileLabelsConfig, extractedText, labelsConfigSchema } from '../labels_config.js';
import { defineStage } from '../stage.js';

/**
 * `labels`: sets labels from the extracted map. `{ name: source }`; an empty or
 * null source means the extracted key of the same name. A missing key, or a
 * value that is a map/list/null, leaves the label alone (Promtail skips it
 * without counting). Numbers print as Go prints them (`200`, `0.5`).
 *
 *   - regex: { expression: '^(?P<method>\S+) (?P<path>\S+)' }
 *   - labels: { method: "", route: path }
 *   line "GET /x" -> labels {method="GET", route="/x"}
 */
export const labels = defineStage({
  name: 'labels',
  schema: labelsConfigSchema,
  create(config) {
    const pairs = compileLabelsConfig(config);
    return {
      process(entry) {
        for (const [name, source] of pairs) {
          const value = extractedText(entry.extracted, source);
          if (value !== undefined) entry.labels[name] = value;
        }
        return entry;
      },
    };
  },
});
