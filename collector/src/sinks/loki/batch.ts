import { encodeEntries } from '../../loki/push_entries.js';
import { renderLabels } from '../../loki/labels.js';
import type { PushEncoding } from './config.js';
import type { OutgoingEntry } from './sanitize.js';

/**
 * One stream of a batch: Loki's label text and its entries in arrival order,
 * as protobuf fragments (`chunks`, push_entries.ts) for the protobuf encoding
 * or as objects (`entries`) for JSON; the other list is empty.
 */
export interface BatchStream {
  labels: string;
  chunks: Buffer[];
  entries: OutgoingEntry[];
}

/** A batch for one tenant (one X-Scope-OrgID), as one push request. */
export interface TenantBatch {
  tenant: string | undefined;
  streams: BatchStream[];
  entries: number;
  /** Promtail's batch size: bytes of lines plus structured metadata names and values. */
  bytes: number;
  /** The newest entry timestamp (ns), for the last-acknowledged gauge. */
  newest: bigint;
}

interface OpenStream extends BatchStream {
  /** Protobuf encoding: entries added as objects since the last chunk, encoded when a chunk follows or at take(). */
  open: OutgoingEntry[];
}

const CACHE_LIMIT = 10_000;
const MAX_ARENA_BYTES = 16 * 1024 * 1024;

/**
 * Entries waiting to be sent by one client, grouped by tenant then stream.
 * They come in either as objects (add) or, from the spool, as fragments of
 * ready protobuf (addFragment); a stream keeps both kinds in arrival order.
 * Rendering `{a="x", b="y"}` sorts and quotes; a bounded cache keyed by the
 * labels in insertion order (cheap to build) skips that for the streams seen
 * again and again.
 */
export class PendingBatches {
  readonly #tenants = new Map<string | undefined, { streams: Map<string, OpenStream>; batch: TenantBatch }>();
  readonly #rendered = new Map<string, string>();
  readonly #encoding: PushEncoding;
  /**
   * Copies of the fragments added since the last take(). Fragments are views
   * into the spool reader's 1 MiB read buffers; keeping those until a push
   * made them outlive a young-generation GC and pile up outside the heap.
   */
  #arena = Buffer.alloc(0);
  readonly #arenaBytes: number;
  /** -1: taken, start over at the next add. */
  #arenaUsed = 0;
  #bytes = 0;
  #entries = 0;
  #oldestAtMs: number | undefined;

  /**
   * `expectedBytes`: what a batch's fragments usually add up to (the client's
   * batchsize and a margin). The arena starts that big, where growing it by
   * doubling from 64 KiB left a trail of dead, fully written buffers outside
   * the heap until a full GC; what a small batch does not write stays unused
   * address space, not resident memory.
   */
  constructor(encoding: PushEncoding = 'protobuf', expectedBytes = 0) {
    this.#encoding = encoding;
    this.#arenaBytes = expectedBytes;
  }

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
    let size = Buffer.byteLength(entry.line, 'utf8');
    for (const name in entry.structuredMetadata)
      size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(entry.structuredMetadata[name]!, 'utf8');
    return size;
  }

  add(tenantId: string | undefined, entry: OutgoingEntry, nowMs: number): void {
    const stream = this.#stream(tenantId, this.#render(entry.labels));
    if (this.#encoding === 'json') stream.entries.push(entry);
    else stream.open.push(entry);
    this.#count(tenantId, 1, PendingBatches.sizeOf(entry), entry.timestamp, nowMs);
  }

  /**
   * Adds entries already in protobuf form (protobuf encoding only): `labels`
   * is Loki's label text, `bytes` their batch size, `newest` their newest timestamp.
   */
  addFragment(
    tenantId: string | undefined,
    labels: string,
    fragment: Buffer,
    count: number,
    bytes: number,
    newest: bigint,
    nowMs: number,
  ): void {
    const stream = this.#stream(tenantId, labels);
    if (stream.open.length > 0) stream.chunks.push(encodeEntries(stream.open.splice(0)));
    stream.chunks.push(this.#keep(fragment));
    this.#count(tenantId, count, bytes, newest, nowMs);
  }

  /**
   * Hands out every tenant's batch and starts empty. Their chunks stay valid
   * until the next add (the client pushes them before it adds more).
   */
  take(): TenantBatch[] {
    this.#arenaUsed = -1;
    const batches: TenantBatch[] = [];
    for (const { streams, batch } of this.#tenants.values()) {
      for (const stream of streams.values())
        if (stream.open.length > 0) stream.chunks.push(encodeEntries(stream.open.splice(0)));
      batches.push(batch);
    }
    this.#tenants.clear();
    this.#bytes = 0;
    this.#entries = 0;
    this.#oldestAtMs = undefined;
    return batches;
  }

  #keep(fragment: Buffer): Buffer {
    if (fragment.length > MAX_ARENA_BYTES) return Buffer.from(fragment);
    let at = Math.max(0, this.#arenaUsed);
    if (at + fragment.length > this.#arena.length) {
      // Earlier views keep the old buffer alive until they are pushed.
      this.#arena = Buffer.allocUnsafe(
        Math.min(
          MAX_ARENA_BYTES,
          Math.max(2 * this.#arena.length, fragment.length, this.#arenaBytes, 64 << 10),
        ),
      );
      at = 0;
    }
    fragment.copy(this.#arena, at);
    this.#arenaUsed = at + fragment.length;
    return this.#arena.subarray(at, this.#arenaUsed);
  }

  #stream(tenantId: string | undefined, labels: string): OpenStream {
    let tenant = this.#tenants.get(tenantId);
    if (!tenant) {
      tenant = {
        streams: new Map(),
        batch: { tenant: tenantId, streams: [], entries: 0, bytes: 0, newest: 0n },
      };
      this.#tenants.set(tenantId, tenant);
    }
    let stream = tenant.streams.get(labels);
    if (!stream) {
      stream = { labels, chunks: [], entries: [], open: [] };
      tenant.streams.set(labels, stream);
      tenant.batch.streams.push(stream);
    }
    return stream;
  }

  #count(tenantId: string | undefined, count: number, bytes: number, newest: bigint, nowMs: number): void {
    const batch = this.#tenants.get(tenantId)!.batch;
    batch.entries += count;
    batch.bytes += bytes;
    if (newest > batch.newest) batch.newest = newest;
    this.#bytes += bytes;
    this.#entries += count;
    this.#oldestAtMs ??= nowMs;
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
