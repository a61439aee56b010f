import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { didYouMean } from '../config/did_you_mean.js';
import { parsePath, type Problem } from '../config/diagnostics.js';
import { unknownKeys } from '../config/unknown_keys.js';
import { gotSuffix, valueAt, zodProblems } from '../config/zod_problems.js';
import { pipelineErrors } from './counters.js';
import type { Entry, LineOrigin } from './entry.js';
import {
  StageConfigError,
  type Clock,
  type Stage,
  type StageContext,
  type StageDefinition,
} from './stage.js';
import { stages as defaultRegistry } from './stages/index.js';

/** Old stage names Promtail still accepts, and what they are now. */
const ALIASES: Record<string, string> = { non_indexed_labels: 'structured_metadata' };

export interface PipelineOptions {
  jobName: string;
  logger: Logger;
  /** Registry served on /metrics; stage metrics and pipeline_errors_total go here. */
  metrics: Registry;
  clock: Clock;
  /** The stage table; tests may pass their own. Default: stages/index.ts. */
  registry?: Record<string, StageDefinition>;
}

interface NamedStage {
  readonly name: string;
  readonly stage: Stage;
}

/**
 * A compiled `pipeline_stages` list. Entries go through the stages in order,
 * synchronously; a stage may return several entries (each continues from the
 * next stage) or none (dropped or held). A stage that throws is a bug, not bad
 * input: the entry goes on unchanged and the error is counted as
 * `stage_exception` and logged once per stage.
 */
export class Pipeline implements Stage {
  readonly #stages: NamedStage[];
  readonly #logger: Logger;
  readonly #countException: (name: string) => void;
  readonly #reported = new Set<string>();

  constructor(stages: NamedStage[], logger: Logger, countException: (name: string) => void) {
    this.#stages = stages;
    this.#logger = logger;
    this.#countException = countException;
  }

  get size(): number {
    return this.#stages.length;
  }

  process(entry: Entry): Entry | Entry[] | undefined {
    let current = entry;
    const stages = this.#stages;
    for (let i = 0; i < stages.length; i++) {
      const result = this.#step(stages[i] as NamedStage, current);
      if (result === undefined) return undefined;
      if (Array.isArray(result)) {
        const out: Entry[] = [];
        for (const next of result) this.#runFrom(i + 1, next, out);
        return out;
      }
      current = result;
    }
    return current;
  }

  /** Runs one entry through and appends what comes out to `out`. */
  push(entry: Entry, out: Entry[]): void {
    this.#runFrom(0, entry, out);
  }

  /**
   * Releases what stateful stages hold (all of it when `force`), passing each
   * released entry through the stages after the one that held it.
   */
  flush(now: bigint, force: boolean): Entry[] {
    const out: Entry[] = [];
    const stages = this.#stages;
    for (let i = 0; i < stages.length; i++) {
      const { stage } = stages[i] as NamedStage;
      if (!stage.flush) continue;
      for (const entry of stage.flush(now, force)) this.#runFrom(i + 1, entry, out);
    }
    return out;
  }

  /** Where the lines any stage still holds were read (Stage.held). */
  held(visit: (origin: LineOrigin) => void): void {
    for (const { stage } of this.#stages) stage.held?.(visit);
  }

  #runFrom(index: number, entry: Entry, out: Entry[]): void {
    let current = entry;
    const stages = this.#stages;
    for (let i = index; i < stages.length; i++) {
      const result = this.#step(stages[i] as NamedStage, current);
      if (result === undefined) return;
      if (Array.isArray(result)) {
        for (const next of result) this.#runFrom(i + 1, next, out);
        return;
      }
      current = result;
    }
    out.push(current);
  }

  #step(named: NamedStage, entry: Entry): Entry | Entry[] | undefined {
    try {
      return named.stage.process(entry);
    } catch (err) {
      this.#countException(named.name);
      if (!this.#reported.has(named.name)) {
        this.#reported.add(named.name);
        this.#logger.error('pipeline stage failed; entries pass it unchanged', {
          stage: named.name,
          error: err,
        });
      }
      return entry;
    }
  }
}

function mentions(message: string, rawConfig: unknown, field: string): boolean {
  const value = valueAt(rawConfig, parsePath(field));
  return (typeof value === 'string' || typeof value === 'number') && message.includes(String(value));
}

export interface CompileResult {
  pipeline: Pipeline;
  /** Everything wrong or doubtful in the stages' config; errors mean the pipeline must not run. */
  problems: Problem[];
}

/**
 * Builds a pipeline from raw `pipeline_stages` (as parsed from YAML), validating
 * every stage: one-key maps, known names, options against the stage's schema
 * (errors), unknown options (warnings, Promtail ignores them), and whatever the
 * stage's create() rejects (bad regex, template). Reports all problems, with
 * full paths, instead of stopping at the first.
 */
export function compilePipeline(raw: unknown, path: string, options: PipelineOptions): CompileResult {
  const problems: Problem[] = [];
  const pipeline = compileInto(raw, path, options, problems);
  return { pipeline, problems };
}

function compileInto(raw: unknown, path: string, options: PipelineOptions, problems: Problem[]): Pipeline {
  const registry = options.registry ?? defaultRegistry;
  const errors = pipelineErrors(options.metrics);
  const built: NamedStage[] = [];
  const list = raw ?? [];
  if (!Array.isArray(list)) {
    problems.push({ severity: 'error', path, message: 'expected a list of stages' });
    return new Pipeline([], options.logger, () => undefined);
  }
  list.forEach((item: unknown, index) => {
    const itemPath = `${path}[${index}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push({
        severity: 'error',
        path: itemPath,
        message: `each stage must be a map with one key, such as "- regex: {...}" (a stage name must end with ":")${gotSuffix(item, [])}`,
      });
      return;
    }
    const keys = Object.keys(item);
    if (keys.length !== 1) {
      problems.push({
        severity: 'error',
        path: itemPath,
        message: `a pipeline stage must contain exactly one key, found ${keys.length === 0 ? 'none' : keys.join(', ')}`,
      });
      return;
    }
    const written = keys[0] as string;
    const stagePath = `${itemPath}.${written}`;
    const name = ALIASES[written] ?? written;
    if (name !== written) {
      problems.push({
        severity: 'warning',
        path: stagePath,
        at: 'key',
        message: `"${written}" is deprecated; it is now called "${name}"`,
      });
    }
    const definition = registry[name];
    if (!definition) {
      const near = didYouMean(written, Object.keys(registry));
      problems.push({
        severity: 'error',
        path: stagePath,
        at: 'key',
        message: `unknown stage type "${written}"${near ? ` (did you mean "${near}"?)` : ''}; known stages: ${Object.keys(registry).sort().join(', ')}`,
      });
      return;
    }
    const rawConfig = (item as Record<string, unknown>)[written] ?? {};
    const base = parsePath(stagePath);
    unknownKeys(definition.schema, rawConfig, base, 'warning', problems);
    const parsed = definition.schema.safeParse(rawConfig);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, rawConfig, base));
      return;
    }
    const context: StageContext = {
      path: stagePath,
      jobName: options.jobName,
      logger: options.logger.child({ stage: name }),
      metrics: options.metrics,
      clock: options.clock,
      countError: (reason) => errors.inc({ stage: name, reason }),
      buildPipeline: (stages, nestedPath) => compileInto(stages, nestedPath, options, problems),
    };
    try {
      built.push({ name, stage: definition.create(parsed.data, context) });
    } catch (err) {
      if (err instanceof StageConfigError) {
        const fieldPath = err.field === '' ? stagePath : `${stagePath}.${err.field}`;
        problems.push({
          severity: 'error',
          path: fieldPath,
          // Quote the offending value unless the message already shows it.
          message: mentions(err.message, rawConfig, err.field)
            ? err.message
            : err.message + gotSuffix(rawConfig, parsePath(err.field)),
        });
      } else {
        problems.push({ severity: 'error', path: stagePath, message: (err as Error).message });
      }
    }
  });
  return new Pipeline(built, options.logger, (stage) => errors.inc({ stage, reason: 'stage_exception' }));
}
