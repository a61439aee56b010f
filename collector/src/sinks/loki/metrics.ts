import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { droppedEntries } from '../../pipeline/counters.js';

/**
 * The Loki clients' metrics, under Promtail's names where Promtail has one
 * (promtail_sent_entries_total, promtail_dropped_entries_total{reason}, ...)
 * so existing dashboards keep working. `host` is the client's name (its URL
 * host, made unique when two clients share one). All clients share one set,
 * fetched from the registry when already registered.
 */
export interface LokiClientMetrics {
  sentEntries: Counter<'host'>;
  sentBytes: Counter<'host'>;
  droppedEntries: Counter<'host' | 'reason' | 'tenant'>;
  /** The collector-wide `dropped_entries_total{reason}` (shared with limits_config drops). */
  droppedTotal: Counter<'reason'>;
  droppedBytes: Counter<'host' | 'reason' | 'tenant'>;
  mutatedEntries: Counter<'host' | 'reason'>;
  retries: Counter<'host' | 'tenant'>;
  requestDuration: Histogram<'host' | 'status_code'>;
  lastAcked: Gauge<'host'>;
}

function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function lokiClientMetrics(registry: Registry): LokiClientMetrics {
  const registers = [registry];
  return {
    sentEntries: metric(
      registry,
      'promtail_sent_entries_total',
      () =>
        new Counter({
          name: 'promtail_sent_entries_total',
          help: 'Entries Loki accepted.',
          labelNames: ['host'],
          registers,
        }),
    ),
    sentBytes: metric(
      registry,
      'promtail_sent_bytes_total',
      () =>
        new Counter({
          name: 'promtail_sent_bytes_total',
          help: 'Line bytes Loki accepted.',
          labelNames: ['host'],
          registers,
        }),
    ),
    droppedEntries: metric(
      registry,
      'promtail_dropped_entries_total',
      () =>
        new Counter({
          name: 'promtail_dropped_entries_total',
          help: "Entries given up on, by reason (Loki's reason for a 4xx, rate_limited, max_retries, line_too_long).",
          labelNames: ['host', 'reason', 'tenant'],
          registers,
        }),
    ),
    droppedTotal: droppedEntries(registry),
    droppedBytes: metric(
      registry,
      'promtail_dropped_bytes_total',
      () =>
        new Counter({
          name: 'promtail_dropped_bytes_total',
          help: 'Line bytes given up on, by reason.',
          labelNames: ['host', 'reason', 'tenant'],
          registers,
        }),
    ),
    mutatedEntries: metric(
      registry,
      'whodunit_client_mutated_entries_total',
      () =>
        new Counter({
          name: 'whodunit_client_mutated_entries_total',
          help: 'Entries changed before sending so Loki accepts them (label names sanitised, lines truncated...), by reason.',
          labelNames: ['host', 'reason'],
          registers,
        }),
    ),
    retries: metric(
      registry,
      'promtail_batch_retries_total',
      () =>
        new Counter({
          name: 'promtail_batch_retries_total',
          help: 'Push attempts retried.',
          labelNames: ['host', 'tenant'],
          registers,
        }),
    ),
    requestDuration: metric(
      registry,
      'promtail_request_duration_seconds',
      () =>
        new Histogram({
          name: 'promtail_request_duration_seconds',
          help: 'Duration of push requests, by status code (0 = network error).',
          labelNames: ['host', 'status_code'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    lastAcked: metric(
      registry,
      'whodunit_client_last_acked_timestamp_seconds',
      () =>
        new Gauge({
          name: 'whodunit_client_last_acked_timestamp_seconds',
          help: 'Timestamp of the newest entry Loki acknowledged, per client.',
          labelNames: ['host'],
          registers,
        }),
    ),
  };
}
