import { extractedToString } from '../go/strconv.js';
import type { Entry } from './entry.js';

/**
 * The text a parsing stage (regex, replace, json, logfmt) works on: the line, or
 * the extracted value named by `source`. As in Promtail, a missing source or a
 * value with no text (null, an object) makes the stage skip the entry; we also
 * count why (`missing_source`, `not_a_string`) so a typo in `source` is visible.
 */
export function sourceText(
  entry: Entry,
  source: string | undefined,
  countError: (reason: string) => void,
): string | undefined {
  if (source === undefined) return entry.line;
  const value = entry.extracted[source];
  if (value === undefined) {
    countError('missing_source');
    return undefined;
  }
  const text = typeof value === 'string' ? value : extractedToString(value);
  if (text === undefined) countError('not_a_string');
  return text;
}
