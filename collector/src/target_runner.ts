import { setTimeout as delay } from 'node:timers/promises';
import { Arrival } from './arrival.js';
import type { Limits } from './limits.js';
import type { Entry } from './pipeline/entry.js';
import type { Pipeline } from './pipeline/pipeline.js';
import type { Clock } from './pipeline/stage.js';
import type { Batch, Source } from './sources/source.js';

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
 * A source batch's `positions` go with its processed batch (to the spool)
 * only when no stage can hold entries across batches.
 *
 * Known gap: an entry held by a stateful stage across batches is not covered
 * by its batch's ack.
 */
export async function* runTarget(options: TargetRunOptions): AsyncGenerator<Batch> {
  const { pipeline, limits, clock } = options;
  const interval = options.flushIntervalMs ?? 100;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const iterator = options.source.batches()[Symbol.asyncIterator]();
  const canHold = pipeline.canHold;

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
      if (released.length > 0) yield { entries: released, ack: noAck };
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
    // A position spooled past an entry a stage still holds would skip that entry after a crash.
    if (admitted.length > 0)
      yield canHold || !positions ? { entries: admitted, ack } : { entries: admitted, ack, positions };
    else ack();
  }
  const rest = await admit(pipeline.flush(clock.now(), true));
  if (rest.length > 0) yield { entries: rest, ack: noAck };
}
