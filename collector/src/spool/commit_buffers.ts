const MiB = 1024 * 1024;
const MAX_BYTES = 16 * MiB;

/**
 * Where appended records wait for their group commit, without a buffer per
 * record: records are copied into the "filling" buffer; a flush takes it
 * (swap) and new records go to the other one, which the previous flush gave
 * back. Flushes run one at a time, so two buffers are enough. A record that
 * does not fit gets a buffer of its own, and the next swap grows the buffers
 * (up to 16 MiB). Fresh buffers per append were garbage within milliseconds
 * yet often outlived a young-generation GC, so they piled up outside the
 * V8 heap until a full GC: tens of MB of resident memory.
 */
export class CommitBuffers {
  #filling: Buffer;
  #used = 0;
  #spare: Buffer | undefined;
  #wanted: number;

  /**
   * Four MiB: several records of a few hundred KB each wait for one commit.
   * Allocated whole but written from the start, so what no commit reaches is
   * address space, not resident memory; growing from 1 MiB left the first
   * buffers behind, written and dead, until a full GC.
   */
  constructor(initialBytes = 4 * MiB) {
    this.#wanted = initialBytes;
    this.#filling = Buffer.allocUnsafe(initialBytes);
  }

  /** A copy of `record`, valid until the flush that writes it calls the release swap() returned. */
  hold(record: Buffer): Buffer {
    const end = this.#used + record.length;
    if (end > this.#filling.length) {
      this.#wanted = Math.min(MAX_BYTES, Math.max(this.#wanted, end * 2));
      return Buffer.from(record);
    }
    record.copy(this.#filling, this.#used);
    const held = this.#filling.subarray(this.#used, end);
    this.#used = end;
    return held;
  }

  /** Called by a flush as it takes the queued records; `release` once they are written. */
  swap(): () => void {
    const taken = this.#filling;
    const next = this.#spare;
    this.#spare = undefined;
    this.#filling = next && next.length >= this.#wanted ? next : Buffer.allocUnsafe(this.#wanted);
    this.#used = 0;
    return () => {
      if (taken.length >= this.#wanted) this.#spare = taken;
    };
  }
}
