import type { Entry } from '../pipeline/entry.js';

/**
 * What a source hands downstream: entries plus the position they would commit.
 * `ack()` is called by the consumer once the entries are durable (spooled or
 * delivered); only then does the source persist its position. Promtail saves
 * the read offset instead, which is how it loses or repeats lines.
 */
export interface Batch {
  readonly entries: Entry[];
  ack(): void;
}

export interface Source {
  /** Human name for logs and metrics: `file`, `syslog`, `loki_push`, `stdin`. */
  readonly kind: string;
  /**
   * Yields batches until stop() is called or input ends. The consumer pulls the
   * next batch only when it can take it, so a slow sink slows the source
   * instead of filling memory.
   */
  batches(): AsyncIterable<Batch>;
  /** Stops reading; the iterable then ends after what was already read. */
  stop(): Promise<void>;
}
