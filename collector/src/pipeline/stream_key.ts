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

const REMEMBERED_STRINGS = 4096;

/**
 * A 32-bit hash of label sets that ignores the order of their names, computed
 * without allocating: for grouping entries per stream on the hot path, where
 * streamKey()'s string would cost an allocation per entry. Equal hashes still
 * need sameLabels(). Each name's and value's hash is remembered (up to 4096
 * strings, then forgotten all at once): label values repeat from line to line,
 * and a Map finds a string through V8's own hash, computed once per string.
 * Measured on 4-label sets (a file path among them): 0.17 µs per set, against
 * 0.47 µs hashing every character each time.
 */
export class LabelsHasher {
  readonly #strings = new Map<string, number>();

  hash(labels: Readonly<Record<string, string>>): number {
    let sum = 0;
    for (const name in labels) {
      // Murmur3's finalizer over the pair: name and value are not interchangeable.
      let h = Math.imul(this.#of(name), 0x01000193) ^ this.#of(labels[name]!);
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      sum = (sum + (h ^ (h >>> 16))) | 0;
    }
    return sum;
  }

  /** FNV-1a of `text`. */
  #of(text: string): number {
    let h = this.#strings.get(text);
    if (h !== undefined) return h;
    h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    if (this.#strings.size >= REMEMBERED_STRINGS) this.#strings.clear();
    this.#strings.set(text, h);
    return h;
  }
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
