/**
 * Loki's discard reason for a 4xx body, from the message texts of grafana/loki
 * pkg/validation/validate.go, so `promtail_dropped_entries_total{reason}`
 * speaks Loki's vocabulary (`loki_discarded_samples_total{reason}` on the
 * server side). Unknown texts fall back to `http_<status>`.
 */
const PATTERNS: [RegExp, string][] = [
  [/^couldn't parse labels|^Error parsing labels/, 'invalid_labels'],
  [/at least one label pair is required/, 'missing_labels'],
  [/Max entry size '\d+' bytes exceeded/, 'line_too_long'],
  [/has \d+ label names; limit/, 'max_label_names_per_series'],
  [/has label name too long/, 'label_name_too_long'],
  [/has label value too long/, 'label_value_too_long'],
  [/has duplicate label name/, 'duplicate_label_names'],
  [/has timestamp too old/, 'greater_than_max_sample_age'],
  [/has timestamp too new/, 'too_far_in_future'],
  [/Maximum active stream limit exceeded/, 'stream_limit'],
  [/Per stream rate limit exceeded/, 'per_stream_rate_limit'],
  [/Ingestion rate limit exceeded/, 'rate_limited'],
  [/structured metadata/, 'structured_metadata'],
];

export function lokiReason(status: number, body: string): string {
  const first = body.replace(/^\d+ errors like: /, '');
  for (const [pattern, reason] of PATTERNS) if (pattern.test(first)) return reason;
  return `http_${status}`;
}
