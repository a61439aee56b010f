import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Registry } from 'prom-client';
import { LineCounter, parseDocument } from 'yaml';
import { silentLogger } from '../logger.js';
import { compilePipeline } from '../pipeline/pipeline.js';
import type { StageDefinition } from '../pipeline/stage.js';
import { formatPath, toDiagnostic, type Diagnostic, type Problem } from './diagnostics.js';
import { EnvSubstError, expandEnv } from './envsubst.js';
import { crossEntryProblems } from './rules.js';
import { configSchema, type Config } from './schema.js';
import { unknownKeys } from './unknown_keys.js';
import { zodProblems } from './zod_problems.js';

export interface LoadOptions {
  /** `-config.expand-env=true`. */
  expandEnv?: boolean;
  /** Variables for expand-env; default process.env (read once, here). */
  env?: Record<string, string | undefined>;
  /** Name shown in diagnostics; default the file's base name. */
  displayName?: string;
  /** Stage table; default the real registry. */
  registry?: Record<string, StageDefinition>;
}

export interface LoadResult {
  /** Present only when there are no errors (warnings allowed). Frozen. */
  config?: Config;
  /** Every problem found, errors and warnings, in file order. */
  diagnostics: Diagnostic[];
}

export const hasErrors = (diagnostics: readonly Diagnostic[]) =>
  diagnostics.some((d) => d.severity === 'error');

export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const displayName = options.displayName ?? basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file does not exist' : (err as Error).message;
    return {
      diagnostics: [{ severity: 'error', file: displayName, line: 0, col: 0, path: '', message: reason }],
    };
  }
  return loadConfigText(text, { ...options, displayName });
}

/**
 * Reads a whole config: expand env (optional), parse YAML with positions,
 * validate every section and every pipeline stage, and report all problems
 * with file:line:col and YAML path. Nothing later re-reads env or the file.
 */
export function loadConfigText(source: string, options: LoadOptions = {}): LoadResult {
  const file = options.displayName ?? 'config.yaml';
  let text = source;
  if (options.expandEnv) {
    try {
      text = expandEnv(source, options.env ?? process.env);
    } catch (err) {
      if (!(err instanceof EnvSubstError)) throw err;
      const lines = new LineCounter();
      parseDocument(source, { lineCounter: lines });
      const { line, col } = lines.linePos(err.offset);
      return { diagnostics: [{ severity: 'error', file, line, col, path: '', message: err.message }] };
    }
  }

  const lines = new LineCounter();
  // Merge keys (`<<: *defaults`) as Go's yaml decoders accept them; duplicate keys are errors there too.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, merge: true });
  const syntax: Diagnostic[] = [...doc.errors, ...doc.warnings].map((e) => ({
    severity: doc.errors.includes(e) ? 'error' : 'warning',
    file,
    line: e.linePos?.[0].line ?? 0,
    col: e.linePos?.[0].col ?? 0,
    path: '',
    message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
  }));
  if (hasErrors(syntax)) return { diagnostics: syntax };

  const data: unknown = doc.toJS() ?? {};
  const problems: Problem[] = [];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    problems.push({
      severity: 'error',
      path: '',
      message: 'the config must be a map of sections (server, clients, scrape_configs, ...)',
    });
  } else {
    unknownKeys(configSchema, data, [], 'error', problems);
    const parsed = configSchema.safeParse(data);
    if (!parsed.success) problems.push(...zodProblems(parsed.error, data, []));
    problems.push(...crossEntryProblems(data));
    problems.push(...pipelineProblems(data, options.registry));
    if (parsed.success && !problems.some((p) => p.severity === 'error')) {
      const diagnostics = sortDiagnostics([
        ...syntax,
        ...problems.map((p) => toDiagnostic(p, file, doc, lines)),
      ]);
      return { config: deepFreeze(parsed.data), diagnostics };
    }
  }
  return {
    diagnostics: sortDiagnostics([...syntax, ...problems.map((p) => toDiagnostic(p, file, doc, lines))]),
  };
}

/** Compiles every scrape config's pipeline once, with throwaway metrics, to find its problems. */
function pipelineProblems(data: object, registry: Record<string, StageDefinition> | undefined): Problem[] {
  const scrapes = (data as { scrape_configs?: unknown }).scrape_configs;
  if (!Array.isArray(scrapes)) return [];
  return scrapes.flatMap((scrape: unknown, index) => {
    const stages = (scrape as { pipeline_stages?: unknown } | null)?.pipeline_stages;
    if (stages === undefined || stages === null) return [];
    const jobName = String((scrape as { job_name?: unknown }).job_name ?? '');
    const path = formatPath(['scrape_configs', index, 'pipeline_stages']);
    return compilePipeline(stages, path, {
      jobName,
      logger: silentLogger,
      metrics: new Registry(),
      clock: { now: () => 0n },
      ...(registry ? { registry } : {}),
    }).problems;
  });
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Freezes plain maps and lists (not RegExp or Secret instances, which own internal state). */
function deepFreeze<T>(value: T): T {
  const plain =
    Array.isArray(value) ||
    (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype);
  if (plain && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
