import { Counter, Gauge, type Registry } from 'prom-client';
import { registeredMetric } from './registered_metric.js';

/**
 * The file source's metrics, under Promtail's names so existing dashboards and
 * alerts keep working. Several file sources share one registry, so each metric
 * is fetched if already registered. Series of a file are deleted when it stops
 * being read, keeping cardinality to the files being tailed.
 */
export interface FileMetrics {
  readLines: Counter<'path'>;
  readBytes: Gauge<'path'>;
  fileBytes: Gauge<'path'>;
  filesActive: Gauge;
  forget(path: string): void;
}

export function fileMetrics(registry: Registry): FileMetrics {
  const readLines = registeredMetric(
    registry,
    'promtail_read_lines_total',
    () =>
      new Counter({
        name: 'promtail_read_lines_total',
        help: 'Number of lines read, per file.',
        labelNames: ['path'],
        registers: [registry],
      }),
  );
  const readBytes = registeredMetric(
    registry,
    'promtail_read_bytes_total',
    () =>
      new Gauge({
        name: 'promtail_read_bytes_total',
        help: 'Offset read so far in each file (bytes).',
        labelNames: ['path'],
        registers: [registry],
      }),
  );
  const fileBytes = registeredMetric(
    registry,
    'promtail_file_bytes_total',
    () =>
      new Gauge({
        name: 'promtail_file_bytes_total',
        help: 'Size of each file being read (bytes).',
        labelNames: ['path'],
        registers: [registry],
      }),
  );
  const filesActive = registeredMetric(
    registry,
    'promtail_files_active_total',
    () =>
      new Gauge({
        name: 'promtail_files_active_total',
        help: 'Number of files being read.',
        registers: [registry],
      }),
  );
  return {
    readLines,
    readBytes,
    fileBytes,
    filesActive,
    forget(path) {
      readLines.remove(path);
      readBytes.remove(path);
      fileBytes.remove(path);
    },
  };
}
