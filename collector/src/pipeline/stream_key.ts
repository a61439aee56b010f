/**
 * A stream's identity inside a stateful stage (multiline blocks, CRI partial
 * lines): its label set, order-independent, as Promtail's label fingerprint.
 */
export function streamKey(labels: Record<string, string>): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const name of names) key += name + '\u0000' + labels[name] + '\u0001';
  return key;
}
