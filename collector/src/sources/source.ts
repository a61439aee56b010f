import type { Entry } from '../pipeline/entry.js';

/**
 * What a source hands downstream: entries plus the position they would commit.
 * `ack()` is called by the consumer once the entries are durable (spooled or
 * delivered); only then does the source persist its position. Promtail saves
 * the read offset instead, which is how it loses or repeats lines.
 */
export interface Batch {
  readonly entries: Entry[];
  /** Called on its own, not as a method: a consumer keeps it without keeping the batch. */
  readonly ack: () => void;
  /**
   * Where reading stands once these entries (and every earlier batch's) are
   * out: per file, the offset just past this batch's last line. Set by the file
   * source; the target runner moves it back to the start of the oldest line a
   * stage still holds (multiline, CRI partials, a delaying limit). Spooled with
   * the entries, so after a crash the agent resumes each file past what the
   * spool already holds (not from the positions file, which is saved only
   * every sync_period). Absent: nothing to record (other sources).
   */
  readonly positions?: readonly FilePosition[];
}

/** A file's read position, with the device and inode that say which file it is. */
export interface FilePosition {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** Byte offset just past the last complete line handed out. */
  readonly offset: number;
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
