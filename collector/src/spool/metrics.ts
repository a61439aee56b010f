import { Counter, Gauge, type Registry } from 'prom-client';

/** The spool's metrics: how much waits on disk, and what damage start-up found. */
export interface SpoolMetrics {
  bytes: Gauge;
  records: Gauge;
  corruptRecords: Counter;
  full: Gauge;
}

function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function spoolMetrics(registry: Registry): SpoolMetrics {
  const registers = [registry];
  return {
    bytes: metric(
      registry,
      'whodunit_spool_bytes',
      () => new Gauge({ name: 'whodunit_spool_bytes', help: 'Bytes of segment files on disk.', registers }),
    ),
    records: metric(
      registry,
      'whodunit_spool_records',
      () =>
        new Gauge({
          name: 'whodunit_spool_records',
          help: 'Records (appends) in the segment files on disk.',
          registers,
        }),
    ),
    corruptRecords: metric(
      registry,
      'whodunit_spool_corrupt_records_total',
      () =>
        new Counter({
          name: 'whodunit_spool_corrupt_records_total',
          help: 'Damaged or torn spool regions found and skipped at start-up.',
          registers,
        }),
    ),
    full: metric(
      registry,
      'whodunit_spool_full',
      () =>
        new Gauge({
          name: 'whodunit_spool_full',
          help: '1 while the spool is at spool.max_bytes and appends wait.',
          registers,
        }),
    ),
  };
}
