import type { Entry } from '../../pipeline/entry.js';
import { isValidLabelName, TENANT_LABEL } from '../../pipeline/label_name.js';
import type { EntryLimits } from './config.js';

/**
 * An entry as one client will send it: labels valid for Loki, tenant split off
 * (see prepareEntry's `tenant` holder). An unchanged Entry is one as it is.
 */
export interface OutgoingEntry {
  labels: Record<string, string>;
  timestamp: bigint;
  line: string;
  structuredMetadata: Record<string, string>;
}

/** Why an entry was changed (mutated) or dropped before sending; the metric's `reason`. */
export type FixReason =
  | 'invalid_label_name'
  | 'label_name_too_long'
  | 'label_value_too_long'
  | 'max_label_names_per_series'
  | 'missing_labels'
  | 'line_too_long';

/**
 * Makes an entry acceptable to Loki before it joins a batch, so one bad entry
 * never gets the whole batch a 400 (which drops every entry in it).
 *
 * Decision: fix rather than reject wherever the data can be kept, because a
 * forensics trail with holes is worse than one with renamed labels:
 * - invalid label names are sanitised as Prometheus/Loki do for OTLP names
 *   (every character outside [a-zA-Z0-9_] becomes `_`, a leading digit gets a
 *   `_` prefix); a name that then clashes with an existing one is moved to
 *   structured metadata instead of overwriting it;
 * - labels beyond max_label_names_per_series (15) move, in name order, to
 *   structured metadata, where Loki keeps them queryable;
 * - over-long label names/values are cut to Loki's limits;
 * - an entry with no labels at all gets `service_name="unknown_service"`, the
 *   label Loki 3 itself gives streams it cannot name;
 * - a line over max_line_size is cut to it (default) or, with
 *   truncateLongLines false, the entry is dropped.
 * Every fix and drop is reported through `report`, so nothing changes unseen.
 * External labels are added under the entry's own (entry labels win), and the
 * reserved `__tenant_id__` label becomes the tenant (over `tenant_id`), written
 * to `tenant.value`. The entry itself is never changed (every client shares
 * it); when nothing needs fixing it is returned as is, allocation-free.
 */
export function prepareEntry(
  entry: Entry,
  externalLabels: Readonly<Record<string, string>>,
  defaultTenant: string | undefined,
  limits: EntryLimits,
  report: (reason: FixReason, dropped: boolean) => void,
  tenant: { value: string | undefined },
): OutgoingEntry | undefined {
  let line = entry.line;
  if (limits.maxLineSize > 0 && line.length * 3 > limits.maxLineSize) {
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > limits.maxLineSize) {
      if (!limits.truncateLongLines) {
        report('line_too_long', true);
        return undefined;
      }
      line = truncateUtf8(line, limits.maxLineSize);
      report('line_too_long', false);
    }
  }

  tenant.value = defaultTenant;
  let labels: Record<string, string> = entry.labels;
  let copied = false;
  if (hasKeys(externalLabels)) {
    labels = { ...externalLabels, ...entry.labels };
    copied = true;
  }
  if (TENANT_LABEL in labels) {
    if (!copied) labels = { ...entry.labels };
    copied = true;
    tenant.value = labels[TENANT_LABEL] || defaultTenant;
    delete labels[TENANT_LABEL];
  }

  let count = 0;
  let clean = true;
  for (const name in labels) {
    count++;
    if (
      !isValidLabelName(name) ||
      name.length > limits.maxLabelNameLength ||
      labels[name]!.length > limits.maxLabelValueLength / 3
    ) {
      clean = false;
    }
  }
  if (clean && count > 0 && count <= limits.maxLabelNamesPerSeries) {
    if (!copied && line === entry.line) return entry;
    return { labels, timestamp: entry.timestamp, line, structuredMetadata: entry.structuredMetadata };
  }

  // Slow path: something to fix. Work on copies; the entry is shared by every client.
  let structuredMetadata = entry.structuredMetadata;
  const fixed: Record<string, string> = {};
  const moved: Record<string, string> = {};
  for (const name of Object.keys(labels).sort()) {
    let value = labels[name]!;
    let fixedName = name;
    if (!isValidLabelName(fixedName)) {
      fixedName = sanitiseLabelName(fixedName);
      report('invalid_label_name', false);
    }
    if (fixedName.length > limits.maxLabelNameLength) {
      fixedName = fixedName.slice(0, limits.maxLabelNameLength);
      report('label_name_too_long', false);
    }
    if (Buffer.byteLength(value, 'utf8') > limits.maxLabelValueLength) {
      value = truncateUtf8(value, limits.maxLabelValueLength);
      report('label_value_too_long', false);
    }
    if (fixedName === '' || fixedName in fixed) moved[name] = value;
    else fixed[fixedName] = value;
  }
  const names = Object.keys(fixed);
  if (names.length > limits.maxLabelNamesPerSeries) {
    for (const name of names.slice(limits.maxLabelNamesPerSeries)) {
      moved[name] = fixed[name]!;
      delete fixed[name];
    }
    report('max_label_names_per_series', false);
  }
  if (Object.keys(fixed).length === 0) {
    fixed.service_name = 'unknown_service';
    report('missing_labels', false);
  }
  if (Object.keys(moved).length > 0) structuredMetadata = { ...moved, ...structuredMetadata };
  return { labels: fixed, timestamp: entry.timestamp, line, structuredMetadata };
}

function hasKeys(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return true;
  return false;
}

/** Prometheus' label-name sanitising (as Loki's otlptranslate.NormalizeLabel): invalid characters become `_`. */
export function sanitiseLabelName(name: string): string {
  const replaced = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(replaced) ? '_' + replaced : replaced;
}

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
