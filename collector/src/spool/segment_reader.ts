import { open } from 'node:fs/promises';
import type { RecordBatch } from './codec.js';
import { scanAt } from './record.js';

/** A record's payload with the segment position after it; `payload` undefined for a skipped damaged span. */
export interface SegmentStep {
  end: number;
  payload?: Buffer;
}

const CHUNK = 1024 * 1024;

/** The reader's reused read buffer, and the batches that still view it. */
export interface ReadBuffer {
  bytes: Buffer;
  lent: RecordBatch[];
  /** Detaches every lent batch: called before `bytes` is overwritten. */
  recycle(): void;
}

/**
 * Reads records of one segment from `from` up to `size` (its durable length)
 * in chunks of about 1 MiB, so a reader holds at most a chunk plus one record,
 * read into `buffer` (recycled first: payloads yielded earlier are views of it).
 * `closed`: the segment will not grow, so a record running past `size` is torn.
 */
export async function* readSegment(
  path: string,
  from: number,
  size: number,
  closed: boolean,
  buffer: ReadBuffer,
): AsyncGenerator<SegmentStep> {
  const handle = await open(path, 'r');
  try {
    let position = from;
    let want = CHUNK;
    while (position < size) {
      const length = Math.min(want, size - position);
      buffer.recycle();
      if (buffer.bytes.length < length) buffer.bytes = Buffer.allocUnsafe(Math.max(length, CHUNK));
      const { bytesRead } = await handle.read(buffer.bytes, 0, length, position);
      const chunk = buffer.bytes.subarray(0, bytesRead);
      const complete = closed && position + bytesRead >= size;
      let at = 0;
      want = CHUNK;
      while (at < chunk.length) {
        const step = scanAt(chunk, at, complete);
        if (step.kind === 'incomplete') {
          if (at === 0) want = Math.max(CHUNK, step.needed);
          // A record cut by the end of durable data of a growing segment: read it next time.
          if (at === 0 && position + step.needed > size) return;
          break;
        }
        at = step.end;
        yield step.kind === 'record' ? { end: position + at, payload: step.payload } : { end: position + at };
      }
      if (bytesRead === 0) return;
      position += at;
    }
  } finally {
    await handle.close();
  }
}
