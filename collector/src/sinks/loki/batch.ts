import { renderLabels } from '../../loki/labels.js';
import type { OutgoingEntry } from './sanitize.js';

/** One stream of a batch: Loki's label text and its entries in arrival order. */
export interface BatchStream {
  labels: string;
  entries: OutgoingEntry[];
}

/** A batch for one tenant (one X-Scope-OrgID), as one push request. */
export interface TenantBatch {
  tenant: string | undefined;
  streams: BatchStream[];
  entries: number;
  /** Promtail's batch size: bytes of lines plus structured metadata names and values. */
  bytes: number;
}

const CACHE_LIMIT = 10_000;

/**
 * Entries waiting to be sent by one client, grouped by tenant then stream.
 * Rendering `{a="x", b="y"}` sorts and quotes; a bounded cache keyed by the
 * labels in insertion order (cheap to build) skips that for the streams seen
 * again and again.
 */
export class PendingBatches {
  readonly #tenants = new Map<
    string | undefined,
    { streams: Map<string, BatchStream>; batch: TenantBatch }
  >();
  readonly #rendered = new Map<string, string>();
  #bytes = 0;
  #entries = 0;
  #oldestAtMs: number | undefined;

  get bytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#entries;
  }

  /** When the first entry now waiting was added (for batchwait), or undefined when empty. */
  get oldestAtMs(): number | undefined {
    return this.#oldestAtMs;
  }

  /** Bytes this entry adds to the batch. */
  static sizeOf(entry: OutgoingEntry): number {
    let size = entry.line.length;
    for (const name in entry.structuredMetadata) size += name.length + entry.structuredMetadata[name]!.length;
    return size;
  }

  add(tenantId: string | undefined, entry: OutgoingEntry, nowMs: number): void {
    let tenant = this.#tenants.get(tenantId);
    if (!tenant) {
      tenant = { streams: new Map(), batch: { tenant: tenantId, streams: [], entries: 0, bytes: 0 } };
      this.#tenants.set(tenantId, tenant);
    }
    const labels = this.#render(entry.labels);
    let stream = tenant.streams.get(labels);
    if (!stream) {
      stream = { labels, entries: [] };
      tenant.streams.set(labels, stream);
      tenant.batch.streams.push(stream);
    }
    stream.entries.push(entry);
    const size = PendingBatches.sizeOf(entry);
    tenant.batch.entries++;
    tenant.batch.bytes += size;
    this.#bytes += size;
    this.#entries++;
    this.#oldestAtMs ??= nowMs;
  }

  /** Hands out every tenant's batch and starts empty. */
  take(): TenantBatch[] {
    const batches = [...this.#tenants.values()].map((t) => t.batch);
    this.#tenants.clear();
    this.#bytes = 0;
    this.#entries = 0;
    this.#oldestAtMs = undefined;
    return batches;
  }

  #render(labels: Record<string, string>): string {
    let key = '';
    for (const name in labels) key += name + '\u0000' + labels[name] + '\u0001';
    let text = this.#rendered.get(key);
    if (text === undefined) {
      if (this.#rendered.size >= CACHE_LIMIT) this.#rendered.clear();
      text = renderLabels(labels);
      this.#rendered.set(key, text);
    }
    return text;
  }
}
