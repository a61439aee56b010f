import type { LabelPair } from '../../../src/loki/push_proto.js';
import type { AcceptedStream } from './validate.js';
import { labelsString } from './validate.js';

/** One stored entry as a query returns it. */
export interface StoredEntry {
  timestamp: bigint;
  line: string;
  structuredMetadata: LabelPair[];
}

export interface StoredStream {
  labels: Record<string, string>;
  entries: StoredEntry[];
}

interface StreamState extends StoredStream {
  seen: Set<string>;
}

/**
 * Entries per tenant per stream. An entry whose (timestamp, line) already
 * exists in the same stream is dropped silently, as Loki's ingester does for
 * an identical repeat; out-of-order entries are accepted (Loki 3 default).
 */
export class ReceiverStore {
  readonly #tenants = new Map<string, Map<string, StreamState>>();

  /** Stores the accepted streams; returns how many entries were new. */
  add(tenant: string, streams: AcceptedStream[]): number {
    let byStream = this.#tenants.get(tenant);
    if (!byStream) this.#tenants.set(tenant, (byStream = new Map()));
    let added = 0;
    for (const { labels, entries } of streams) {
      const key = labelsString(labels);
      let state = byStream.get(key);
      if (!state)
        byStream.set(key, (state = { labels: Object.fromEntries(labels), entries: [], seen: new Set() }));
      for (const entry of entries) {
        const id = `${entry.timestamp}\u0000${entry.line}`;
        if (state.seen.has(id)) continue;
        state.seen.add(id);
        state.entries.push({
          timestamp: entry.timestamp,
          line: entry.line,
          structuredMetadata: entry.structuredMetadata,
        });
        added++;
      }
    }
    return added;
  }

  /** Streams of a tenant whose labels include every pair of `selector`, entries sorted by time. */
  streams(tenant: string, selector: Record<string, string> = {}): StoredStream[] {
    const wanted = Object.entries(selector);
    return [...(this.#tenants.get(tenant)?.values() ?? [])]
      .filter((stream) => wanted.every(([name, value]) => stream.labels[name] === value))
      .map((stream) => ({
        labels: { ...stream.labels },
        entries: [...stream.entries].sort((a, b) =>
          a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0,
        ),
      }));
  }

  count(tenant?: string): number {
    const tenants =
      tenant === undefined ? [...this.#tenants.values()] : [this.#tenants.get(tenant) ?? new Map()];
    let total = 0;
    for (const byStream of tenants) for (const stream of byStream.values()) total += stream.entries.length;
    return total;
  }

  tenants(): string[] {
    return [...this.#tenants.keys()];
  }
}
