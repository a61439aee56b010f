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

/**
 * A 32-bit hash of a label set that ignores the order of its names, computed
 * without allocating (FNV-1a over name NUL value per pair, pairs summed): for
 * grouping entries per stream on the hot path, where streamKey()'s string
 * would cost an allocation per entry. Equal hashes still need sameLabels().
 */
export function labelsHash(labels: Readonly<Record<string, string>>): number {
  let sum = 0;
  for (const name in labels) {
    let h = 0x811c9dc5;
    const value = labels[name]!;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    h = Math.imul(h, 0x01000193);
    for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
    sum = (sum + h) | 0;
  }
  return sum;
}

/** Whether `labels` has exactly the pairs of `stored`, which has `size` names. */
export function sameLabels(
  labels: Readonly<Record<string, string>>,
  stored: Readonly<Record<string, string>>,
  size: number,
): boolean {
  let count = 0;
  for (const name in labels) {
    if (stored[name] !== labels[name] || !Object.hasOwn(stored, name)) return false;
    count++;
  }
  return count === size;
}
