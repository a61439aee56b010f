import { Counter, Gauge, type Registry } from 'prom-client';
import { droppedEntries } from '../../pipeline/counters.js';
import { registeredMetric } from '../../sources/registered_metric.js';

/** The PostgreSQL sinks' metrics; `host` is the sink's `name`, `table` is events or security_events. */
export interface PostgresSinkMetrics {
  /** Rows inserted (committed). */
  rows: Counter<'host' | 'table'>;
  /** Rows not inserted because their idempotency key was already there (a replay). */
  duplicates: Counter<'host' | 'table'>;
  /** Entries given up on: not_json, no_action (mapping) or rejected (by the database). */
  dropped: Counter<'host' | 'reason'>;
  /** The collector-wide `dropped_entries_total{reason}`. */
  droppedTotal: Counter<'reason'>;
  retries: Counter<'host'>;
  /** 1 after a write committed, 0 after one failed. */
  up: Gauge<'host'>;
}

export function postgresSinkMetrics(registry: Registry): PostgresSinkMetrics {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    registeredMetric(registry, name, () => new Counter({ name, help, labelNames, registers }));
  return {
    rows: counter('whodunit_postgres_sink_rows_total', 'Rows the PostgreSQL sink inserted, by table.', [
      'host',
      'table',
    ]),
    duplicates: counter(
      'whodunit_postgres_sink_duplicate_rows_total',
      'Rows skipped because a row with the same idempotency key was already written (replays after a crash).',
      ['host', 'table'],
    ),
    dropped: counter(
      'whodunit_postgres_sink_dropped_entries_total',
      'Entries the PostgreSQL sink gave up on, by reason (not_json, no_action, rejected).',
      ['host', 'reason'],
    ),
    droppedTotal: droppedEntries(registry),
    retries: counter('whodunit_postgres_sink_retries_total', 'Failed PostgreSQL writes retried.', ['host']),
    up: registeredMetric(
      registry,
      'whodunit_postgres_sink_up',
      () =>
        new Gauge({
          name: 'whodunit_postgres_sink_up',
          help: '1 while the last PostgreSQL write committed, 0 after one failed.',
          labelNames: ['host'],
          registers,
        }),
    ),
  };
}
