import type { Entry } from '../pipeline/entry.js';
import type { Batch } from './source.js';

/**
 * The bounded hand-off between a receiver (syslog sockets, push HTTP requests)
 * and the consumer pulling batches. Receivers cannot be asked to re-send, so
 * when the queue is full they must push back: TCP stops reading the socket,
 * HTTP answers 429, UDP drops and counts. `whenSpace()` tells them when to go on.
 * Batches of a receiver have nothing to commit: ack() is a no-op.
 */
export class EntryQueue {
  private entries: Entry[] = [];
  private head = 0;
  private closed = false;
  private dataWaiter: (() => void) | undefined;
  private spaceWaiters: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxBatch: number,
  ) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** Adds entries (a receiver checks `full` first; one request may overshoot by its own size). */
  push(entries: readonly Entry[]): void {
    if (this.closed || entries.length === 0) return;
    for (const e of entries) this.entries.push(e);
    const waiter = this.dataWaiter;
    this.dataWaiter = undefined;
    waiter?.();
  }

  /** Resolves once the queue is below capacity again (at once if it is). */
  whenSpace(): Promise<void> {
    if (!this.full || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** No more entries: the iterable ends once the queued ones are taken. */
  close(): void {
    this.closed = true;
    this.dataWaiter?.();
    this.dataWaiter = undefined;
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  async *batches(): AsyncGenerator<Batch> {
    for (;;) {
      if (this.size === 0) {
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.dataWaiter = resolve));
        continue;
      }
      const end = Math.min(this.entries.length, this.head + this.maxBatch);
      const entries = this.entries.slice(this.head, end);
      this.head = end;
      if (this.head === this.entries.length) {
        this.entries = [];
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.entries.length) {
        this.entries = this.entries.slice(this.head);
        this.head = 0;
      }
      if (!this.full) for (const w of this.spaceWaiters.splice(0)) w();
      yield { entries, ack: () => undefined };
    }
  }
}
