import { compileLabelsConfig, extractedText, labelsConfigSchema } from '../labels_config.js';
import { defineStage } from '../stage.js';

/**
 * `structured_metadata` (formerly `non_indexed_labels`, still accepted with a
 * warning): like `labels`, but the values go to the entry's structured
 * metadata (Loki 3), which is stored per line and never indexed: the place for
 * high-cardinality values such as trace ids.
 *
 *   - json: { expressions: { trace_id: traceId } }
 *   - structured_metadata: { trace_id: "" }
 *   line {"traceId":"abc"} -> structured_metadata {trace_id="abc"}
 *
 * Promtail appends, so a name set twice is sent twice; we keep one value per
 * name (the last), which is what Loki stores anyway.
 */
export const structuredMetadata = defineStage({
  name: 'structured_metadata',
  schema: labelsConfigSchema,
  create(config) {
    const pairs = compileLabelsConfig(config);
    return {
      process(entry) {
        for (const [name, source] of pairs) {
          const value = extractedText(entry.extracted, source);
          if (value !== undefined) entry.structuredMetadata[name] = value;
        }
        return entry;
      },
    };
  },
});
