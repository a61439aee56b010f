import { Counter, type Registry } from 'prom-client';

/**
 * The pipeline's counters, created once per registry and shared by every
 * pipeline and stage that registry serves (prom-client refuses a second
 * registration of the same name).
 */
function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** Lines a stage could not handle (they pass through unchanged, or are dropped where Promtail drops them). */
export const pipelineErrors = (registry: Registry) =>
  counter(
    registry,
    'pipeline_errors_total',
    'Entries a pipeline stage could not process, by stage and reason.',
    ['stage', 'reason'],
  );

/** Promtail's name for lines dropped on purpose (drop, match action drop, limit, sampling). */
export const droppedLines = (registry: Registry) =>
  counter(
    registry,
    'logentry_dropped_lines_total',
    'A count of all log lines dropped as a result of a pipeline stage.',
    ['reason'],
  );

/** Entries the collector itself refused before shipping (limits_config), by reason. */
export const droppedEntries = (registry: Registry) =>
  counter(registry, 'dropped_entries_total', 'Entries dropped before shipping, by reason.', ['reason']);
