import { z } from 'zod';
import { extractedToString } from '../go/strconv.js';
import { isValidLabelName } from './label_name.js';
import { StageConfigError } from './stage.js';

/**
 * The `{ name: source }` map shared by `labels` and `structured_metadata`: each
 * name takes the extracted value at `source` (empty or null source: the same
 * name as the label).
 */
export const labelsConfigSchema = z.record(z.string(), z.string().nullable());

/** Validated pairs of [name, source]. */
export function compileLabelsConfig(config: Record<string, string | null>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, source] of Object.entries(config)) {
    if (!isValidLabelName(name)) throw new StageConfigError(name, `invalid label name "${name}"`);
    pairs.push([name, source === null || source === '' ? name : source]);
  }
  return pairs;
}

/**
 * The text of extracted[source], or undefined when missing or not convertible
 * (maps, lists, null), which Promtail skips silently.
 */
export function extractedText(extracted: Record<string, unknown>, source: string): string | undefined {
  const value = extracted[source];
  return value === undefined ? undefined : extractedToString(value);
}
