/**
 * A map with a hard size limit: when full, the least recently used key goes. Every
 * per-user and per-IP counter lives in one, so an attacker cycling through a million
 * source addresses costs a bounded amount of memory (and evictions are counted).
 */
export class BoundedKeys<V> {
  private readonly entries = new Map<string, V>();
  /** Keys dropped to stay within `maxKeys`, for a metric. */
  evicted = 0;

  constructor(readonly maxKeys: number) {
    if (!(maxKeys >= 1)) throw new RangeError(`maxKeys must be at least 1 (got ${maxKeys})`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, marked as just used. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** The value for `key`, created by `make` when absent (evicting the oldest key if full). */
  getOrCreate(key: string, make: () => V): V {
    const existing = this.get(key);
    if (existing !== undefined) return existing;
    const value = make();
    this.entries.set(key, value);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evicted++;
    }
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
