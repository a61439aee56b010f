import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { Entry, LineOrigin } from './entry.js';
import type { Logger } from '../log.js';

/** Time source for stages; tests inject a fixed one. Nanoseconds since the epoch. */
export interface Clock {
  now(): bigint;
}

export const systemClock: Clock = {
  now: () => BigInt(Date.now()) * 1_000_000n,
};

/** Everything a stage may use. No module state: what a stage needs comes through here. */
export interface StageContext {
  /** The YAML path of this stage, e.g. `scrape_configs[0].pipeline_stages[2].regex`, for messages. */
  readonly path: string;
  readonly jobName: string;
  readonly logger: Logger;
  /** Prometheus registry served on /metrics (prom-client). */
  readonly metrics: Registry;
  readonly clock: Clock;
  /** Counts a line the stage could not handle, in `pipeline_errors_total{stage,reason}`. */
  countError(reason: string): void;
  /** Builds nested stages (match, nested pipelines) from their raw config. */
  buildPipeline(stages: unknown[], path: string): Stage;
}

/**
 * A running stage. Most are a plain synchronous function of one entry; stateful
 * ones (multiline, CRI partials) also hold entries back and release them in flush().
 */
export interface Stage {
  /**
   * Returns the entry (changed in place), several entries (a stage that emits a
   * copy or releases a held block), or undefined when the entry is dropped or held.
   */
  process(entry: Entry): Entry | Entry[] | undefined;
  /**
   * Releases held entries whose time has come (`force`: all of them, at end of
   * input or shutdown). Only stateful stages implement it.
   */
  flush?(now: bigint, force: boolean): Entry[];
  /**
   * Tells `visit` where the lines it still holds were read: for each file, at
   * least the origin of the oldest line held (reporting more is allowed; the
   * smallest start counts). An entry made of several lines reports its first
   * line. Every stage that implements flush() implements this too; entries
   * without an origin (not read from a file) are skipped.
   */
  held?(visit: (origin: LineOrigin) => void): void;
}

export interface StageDefinition<S extends z.ZodType = z.ZodType> {
  /** The YAML key, and the file name: `static_labels` lives in `stages/static_labels.ts`. */
  readonly name: string;
  /**
   * Validates the stage's options. Keys Promtail silently ignores must not fail
   * here: the loader reports unknown keys itself as warnings with "did you mean".
   */
  readonly schema: S;
  /** Compile everything (regexes, templates) here, never per line. Throw a ConfigError for bad values. */
  create(config: z.output<S>, ctx: StageContext): Stage;
}

export function defineStage<S extends z.ZodType>(definition: StageDefinition<S>): StageDefinition<S> {
  return definition;
}

/**
 * A problem with a stage's configuration found while compiling it. `field` is
 * relative to the stage (`expression`), so the loader can point at the line.
 */
export class StageConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'StageConfigError';
  }
}
