import { open, type FileHandle } from 'node:fs/promises';
import { hashHead, headLimit, type FileIdentity } from './file_identity.js';

/**
 * Reads one file (one device+inode) line by line from a byte offset.
 *
 * - Lines end at `\n`; the `\n` is removed and a `\r` before it is kept, as
 *   Promtail does. A trailing line without its `\n` is not read until the `\n`
 *   arrives (the offset stays at its start).
 * - Truncation (copytruncate, `> file`) is noticed when the file is shorter
 *   than the offset OR when the bytes just before the offset changed (a
 *   fingerprint of up to 32 bytes, checked on every read and whenever the
 *   modification time changed), so a file truncated and refilled past (or up
 *   to) the old offset between two polls is still read from 0. Promtail only
 *   compares sizes and skips those lines.
 * - The first min(offset, 1 KiB) bytes are kept to fingerprint the file for
 *   the positions sidecar (file_identity.ts), passed with every commit.
 * - Progress is acknowledged per read: `committed` only moves over reads whose
 *   batches were acked, in order; a truncation starts a new generation whose
 *   committed offset is 0, and late acks of the old generation are ignored.
 */
export interface TailRead {
  readonly lines: string[];
  /** For each line, the file offset just past it (its `\n`); a line starts where the one before ends. */
  readonly ends: number[];
  /** Offset of the first line's first byte. */
  readonly start: number;
  /** Bytes consumed, newlines included. */
  readonly bytes: number;
  /** Ack handle for exactly this read. */
  readonly part: TailPart;
}

export interface TailPart {
  readonly tailer: FileTailer;
  readonly generation: number;
  readonly end: number;
  acked: boolean;
}

export interface TailerOptions {
  /** A single line longer than this is split (Promtail would buffer it unboundedly). */
  maxLineBytes: number;
  /**
   * Called with the committed offset of the current generation whenever it
   * moves, and the identity of the file for that offset (file_identity.ts).
   */
  onCommit(offset: number, identity: FileIdentity): void;
}

const fingerprintBytes = 32;
const newline = 0x0a;

export class FileTailer {
  /** Offset of the first byte not yet handed out (always the start of a line). */
  private offset: number;
  private generation = 0;
  private pending: TailPart[] = [];
  private fingerprint: Buffer = Buffer.alloc(0);
  /** The file's first min(offset, 1 KiB) bytes, for the identity saved with a position. */
  private head: Buffer = Buffer.alloc(0);
  private headDigest: { bytes: number; sha256: string } | undefined;
  private closed = false;
  private averageLineBytes = 256;
  /**
   * Reused for every read: lines are copied out as strings at once, so one
   * buffer per file serves them all instead of a fresh one per batch (those
   * were a large share of the collector's resident memory).
   */
  private scratch: Buffer = Buffer.alloc(0);
  /**
   * Size at the last fstat, for metrics and for noticing growth while
   * draining. Not refreshed while it shows more data than the next read takes.
   */
  size = 0;
  /** The generation `size` was taken in (a truncation restarts at 0 and must look again). */
  private sizedGeneration = -1;
  /** Modification time at the last fstat: a change with no growth may be a same-size rewrite. */
  private mtimeMs = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly dev: number,
    readonly ino: number,
    offset: number,
    private readonly options: TailerOptions,
  ) {
    this.offset = offset;
  }

  /**
   * Opens `path` at `offset`, or at 0 when the file is now shorter than the
   * offset (Promtail's rule for a position saved before a truncation) or when
   * the byte before the offset is not a `\n`: positions are only ever saved at
   * line starts, so that file is not the one the position was saved for (it was
   * replaced while we were not running). Promtail would resume mid-line.
   */
  static async open(path: string, offset: number, options: TailerOptions): Promise<FileTailer> {
    const handle = await open(path, 'r');
    try {
      const st = await handle.stat({ bigint: false });
      let start = offset > st.size || offset < 0 ? 0 : offset;
      const tailer = new FileTailer(path, handle, st.dev, st.ino, start, options);
      tailer.size = st.size;
      if (start > 0) {
        tailer.head = await tailer.readAt(0, Math.min(start, headLimit));
        const before = await tailer.readAt(Math.max(0, start - fingerprintBytes), start);
        if (before[before.length - 1] === newline) tailer.fingerprint = before;
        else {
          tailer.offset = start = 0;
          tailer.head = Buffer.alloc(0);
        }
      }
      if (start !== offset) options.onCommit(start, tailer.identity(start));
      return tailer;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  get readOffset(): number {
    return this.offset;
  }

  /**
   * Reads complete lines, at most `maxLines` and about `maxBytes` (a single
   * line may exceed it). Returns undefined at end of data. `final`: the file
   * will never grow again (rotated away and drained), so a last line without
   * its `\n` is read too rather than lost.
   */
  async read(maxLines: number, maxBytes: number, final = false): Promise<TailRead | undefined> {
    if (this.closed) return undefined;
    // Read about what `maxLines` lines need, not the whole byte budget.
    const want = Math.max(16 << 10, Math.ceil(maxLines * this.averageLineBytes * 1.25));
    let available = this.size - this.offset;
    // While the last fstat showed enough bytes for this read, skip it: a
    // truncation since then is still caught by the fingerprint below.
    let rewritten = false;
    if (available < want || this.generation !== this.sizedGeneration) {
      const st = await this.handle.stat();
      this.size = st.size;
      this.sizedGeneration = this.generation;
      rewritten = st.mtimeMs !== this.mtimeMs;
      this.mtimeMs = st.mtimeMs;
      if (st.size < this.offset) this.restart();
      available = this.size - this.offset;
    }
    // Modified without growing: truncated and refilled to the same size? The fingerprint says.
    if (available <= 0 && !(rewritten && this.fingerprint.length > 0)) return undefined;

    // Re-read the fingerprint with the new bytes: one syscall checks both.
    const n = this.fingerprint.length;
    const raw = await this.readAt(this.offset - n, this.offset + Math.min(available, maxBytes, want), true);
    if (n > 0 && (raw.length < n || !raw.subarray(0, n).equals(this.fingerprint))) {
      this.restart();
      return this.read(maxLines, maxBytes, final);
    }
    let buf = raw.subarray(n);
    let last = buf.lastIndexOf(newline);
    if (last < 0 && available > buf.length && buf.length > 0) {
      // One line longer than the budget: read up to the line limit to find its end.
      buf = await this.readAt(this.offset, this.offset + Math.min(available, this.options.maxLineBytes));
      last = buf.lastIndexOf(newline);
    }
    const lines: string[] = [];
    const ends: number[] = [];
    const from = this.offset;
    let start = 0;
    if (last < 0) {
      if (buf.length === 0 || (buf.length < this.options.maxLineBytes && !final)) return undefined;
      lines.push(buf.toString('utf8'));
      start = buf.length;
      ends.push(from + start);
    } else {
      while (start <= last && lines.length < maxLines) {
        const nl = buf.indexOf(newline, start);
        lines.push(buf.toString('utf8', start, nl));
        start = nl + 1;
        ends.push(from + start);
      }
    }
    this.fingerprint = Buffer.from(
      start >= fingerprintBytes
        ? buf.subarray(start - fingerprintBytes, start)
        : Buffer.concat([this.fingerprint, buf.subarray(0, start)]).subarray(-fingerprintBytes),
    );
    if (this.head.length < headLimit && this.head.length === this.offset) {
      const add = buf.subarray(0, Math.min(start, headLimit - this.head.length));
      this.head = Buffer.concat([this.head, add]);
    }
    this.offset += start;
    this.averageLineBytes = start / lines.length;
    const part: TailPart = { tailer: this, generation: this.generation, end: this.offset, acked: false };
    this.pending.push(part);
    return { lines, ends, start: from, bytes: start, part };
  }

  /** Marks a read as delivered; moves the committed offset over every acked read in order. */
  ack(part: TailPart): void {
    if (part.acked) return;
    part.acked = true;
    if (part.generation !== this.generation) return;
    let committed: number | undefined;
    while (this.pending[0]?.acked) committed = this.pending.shift()!.end;
    if (committed !== undefined) this.options.onCommit(committed, this.identity(committed));
  }

  /** This file's identity for a position at `offset` (at most the read offset). */
  identity(offset: number): FileIdentity {
    const bytes = Math.min(offset, this.head.length);
    if (this.headDigest?.bytes !== bytes) {
      this.headDigest = { bytes, sha256: hashHead(this.head.subarray(0, bytes)) };
    }
    return { dev: this.dev, ino: this.ino, headBytes: bytes, headSha256: this.headDigest.sha256 };
  }

  /** Whether every read handed out so far was acknowledged. */
  get settled(): boolean {
    return this.pending.length === 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  /** Truncated: the content we read is gone; start over from 0 as a new generation. */
  private restart(): void {
    this.generation += 1;
    this.pending = [];
    this.offset = 0;
    this.fingerprint = Buffer.alloc(0);
    this.head = Buffer.alloc(0);
    this.headDigest = undefined;
    this.options.onCommit(0, this.identity(0));
  }

  /** Bytes [from, to) of the file (fewer at its end); `reuse`: into the scratch buffer, valid until the next read. */
  private async readAt(from: number, to: number, reuse = false): Promise<Buffer> {
    if (reuse && this.scratch.length < to - from)
      this.scratch = Buffer.allocUnsafe(Math.max(to - from, 64 << 10));
    const buf = reuse ? this.scratch.subarray(0, to - from) : Buffer.allocUnsafe(to - from);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await this.handle.read(buf, filled, buf.length - filled, from + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === buf.length ? buf : buf.subarray(0, filled);
  }
}
