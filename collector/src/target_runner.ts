import { setTimeout as delay } from 'node:timers/promises';
import { Arrival } from './arrival.js';
import type { Limits } from './limits.js';
import type { Entry, FileRef } from './pipeline/entry.js';
import type { Pipeline } from './pipeline/pipeline.js';
import type { Clock } from './pipeline/stage.js';
import type { Batch, FilePosition, Source } from './sources/source.js';

export interface TargetRunOptions {
  source: Source;
  pipeline: Pipeline;
  limits: Limits;
  clock: Clock;
  /** How often held entries (multiline, CRI partials, limit) get a chance to leave. Default 100 ms. */
  flushIntervalMs?: number;
  /** For tests of the waiting rate limiter. */
  sleep?: (ms: number) => Promise<void>;
}

const noAck = () => undefined;

/**
 * One target's data path: pulls the source's batches, runs every entry through
 * the pipeline, applies limits_config, and yields processed batches that carry
 * the source batch's ack. Pulls the next source batch only when the consumer
 * asks, so a slow sink slows the source. When the source is quiet, a timer
 * still flushes held entries whose wait is over; at the end of input,
 * everything held is flushed.
 *
 * File positions (Batch.positions, spooled with the entries) are exact even
 * when stages hold entries (multiline blocks, CRI partial lines, a delaying
 * limit): each yielded batch says, per file, where reading must resume for
 * nothing to be read twice or lost: the start of the oldest line a stage still
 * holds, or else just past the last line read (see SpoolPositions).
 *
 * A source batch some of whose lines a stage still holds is acknowledged only
 * once they are out: its ack rides on the first yielded batch after their
 * release (acks come back in order, so by then the lines are durable). Without
 * this, the positions file could be saved past a held multiline block, and a
 * kill -9 would lose it.
 */
export async function* runTarget(options: TargetRunOptions): AsyncGenerator<Batch> {
  const { pipeline, limits, clock } = options;
  const interval = options.flushIntervalMs ?? 100;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const iterator = options.source.batches()[Symbol.asyncIterator]();
  const resume = new SpoolPositions(pipeline);

  const admit = async (entries: Entry[]): Promise<Entry[]> => {
    const admitted: Entry[] = [];
    for (const entry of entries) {
      for (let wait = limits.takeTokenOrDelay(); wait > 0; wait = limits.takeTokenOrDelay())
        await sleep(wait);
      const kept = limits.admit(entry);
      if (kept) admitted.push(kept);
    }
    return admitted;
  };

  let pending: Arrival<IteratorResult<Batch>> | undefined;
  for (;;) {
    pending ??= new Arrival(iterator.next());
    const arrived = await pending.wait(interval);
    if (arrived === 'timeout' || arrived === 'abort') {
      const released = await admit(pipeline.flush(clock.now(), false));
      const batch = resume.batch(released, noAck);
      if (batch) yield batch;
      continue;
    }
    const result = arrived.value;
    pending = undefined;
    if (result.done) break;
    const out: Entry[] = [];
    for (const entry of result.value.entries) pipeline.push(entry, out);
    out.push(...pipeline.flush(clock.now(), false));
    const admitted = await admit(out);
    const { ack, positions } = result.value;
    if (positions) {
      resume.read(positions, ack);
      const batch = resume.batch(admitted, noAck);
      if (batch) yield batch;
    } else if (admitted.length > 0) yield resume.batch(admitted, ack) ?? { entries: admitted, ack };
    else ack();
  }
  const rest = await admit(pipeline.flush(clock.now(), true));
  const batch = resume.batch(rest, noAck);
  if (batch) yield batch;
}

/**
 * The positions a yielded batch carries to the spool. Per file (path, device,
 * inode), the offset past the last line read, moved back to the start of the
 * oldest line a stage still holds (exact for stages that keep their lines in
 * order). A file is remembered from the batch that read it until a yielded
 * batch carried its position with nothing of it held: files whose lines are
 * held go with every batch, so the one that releases them moves the spooled
 * position past them. Bounded by the number of files read. Relies on every
 * entry of a batch with positions carrying its origin (the file source sets
 * it): a held entry without one could not move a position back.
 */
class SpoolPositions {
  readonly #pipeline: Pipeline;
  readonly #files = new Map<string, FilePosition>();
  /** Acks of source batches read, oldest first, until none of their lines is held. */
  readonly #unreleased: { ack: () => void; positions: readonly FilePosition[] }[] = [];

  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
  }

  /** A source batch was read: its files are now read up to these offsets; `ack` once its lines are out. */
  read(positions: readonly FilePosition[], ack: () => void): void {
    for (const position of positions) this.#files.set(fileKey(position), position);
    this.#unreleased.push({ ack, positions });
  }

  /**
   * A batch to yield, with the positions reading must resume at once it is
   * spooled, and whose ack also acknowledges the source batches whose lines
   * have all left the stages. Undefined when there is nothing to yield.
   */
  batch(entries: Entry[], ack: () => void): Batch | undefined {
    if (this.#files.size === 0 && this.#unreleased.length === 0) {
      return entries.length > 0 ? { entries, ack } : undefined;
    }
    const heldFrom = new Map<string, number>();
    this.#pipeline.held((origin) => {
      const key = fileKey(origin.file);
      const start = heldFrom.get(key);
      if (start === undefined || origin.start < start) heldFrom.set(key, origin.start);
    });
    const positions: FilePosition[] = [];
    for (const [key, position] of this.#files) {
      const start = heldFrom.get(key);
      if (start === undefined) {
        positions.push(position);
        this.#files.delete(key);
      } else positions.push(start < position.offset ? { ...position, offset: start } : position);
    }
    const released: (() => void)[] = [];
    while (this.#unreleased[0]?.positions.every((p) => (heldFrom.get(fileKey(p)) ?? Infinity) >= p.offset)) {
      released.push(this.#unreleased.shift()!.ack);
    }
    if (entries.length === 0 && released.length === 0) return undefined;
    const acks = released.length === 0 ? ack : () => [ack, ...released].forEach((a) => a());
    return { entries, ack: acks, positions };
  }
}

function fileKey(file: FileRef): string {
  return `${file.dev}:${file.ino}:${file.path}`;
}
