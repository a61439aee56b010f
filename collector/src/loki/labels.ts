/**
 * Loki's text form of a label set, `{a="x", b="y"}`: names sorted, values quoted
 * as Go's strconv.Quote does (Prometheus labels.Labels.String(), which Promtail
 * sends and Loki prints in its error messages).
 */
import { goQuote } from '../go/strconv.js';

export function renderLabels(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort(compareBytes);
  let text = '{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (i > 0) text += ', ';
    text += name + '=' + goQuote(labels[name]!);
  }
  return text + '}';
}

/** Go sorts strings by bytes; for UTF-16 code units that is the same order except above U+FFFF, which label names never reach. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
