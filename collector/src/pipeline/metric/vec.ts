/**
 * A Prometheus metric whose label names change from series to series, as the
 * metrics stage needs (each series carries the labels of the entry that touched it).
 * prom-client's own metric types fix their label names up front, so this one
 * implements the small interface prom-client's Registry reads (`name`, `help`,
 * `type`, `get()`), like Promtail's unchecked metricVec collector.
 *
 * Series idle for `maxIdleNs` are dropped when the registry is read, as Promtail
 * prunes at collection time. The clock is injected.
 */
import type { Registry } from 'prom-client';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

interface Series {
  labels: Record<string, string>;
  value: number;
  /** Histogram only: cumulative counts are computed on read; these are per-bucket. */
  bucketCounts: number[] | undefined;
  count: number;
  lastTouchedNs: bigint;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** The Prometheus default buckets (client_golang's DefBuckets). */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function seriesKey(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const n of names) key += n + '\u0000' + labels[n] + '\u0001';
  return key;
}

function formatLe(bound: number): string {
  return bound === Infinity ? '+Inf' : String(bound);
}

export class DynamicLabelMetric {
  readonly aggregator = 'sum' as const;
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricKind,
    private readonly buckets: number[],
    private readonly maxIdleNs: bigint,
    private readonly now: () => bigint,
  ) {}

  /**
   * The metric registered under `name` in `registry`, created on first use. Pipelines
   * of several scrape configs share one metric of the same name and type.
   */
  static register(
    registry: Registry,
    options: {
      name: string;
      help: string;
      type: MetricKind;
      buckets: number[];
      maxIdleNs: bigint;
      now: () => bigint;
    },
  ): DynamicLabelMetric {
    const existing = registry.getSingleMetric(options.name) as unknown;
    if (existing instanceof DynamicLabelMetric && existing.type === options.type) return existing;
    if (existing !== undefined) {
      throw new Error(`a metric named ${options.name} is already registered with another type`);
    }
    const metric = new DynamicLabelMetric(
      options.name,
      options.help,
      options.type,
      [...options.buckets].sort((a, b) => a - b),
      options.maxIdleNs,
      options.now,
    );
    registry.registerMetric(metric as never);
    return metric;
  }

  private seriesFor(labels: Record<string, string>): Series {
    const key = seriesKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: { ...labels },
        value: 0,
        bucketCounts: this.type === 'histogram' ? new Array<number>(this.buckets.length).fill(0) : undefined,
        count: 0,
        lastTouchedNs: 0n,
      };
      this.series.set(key, s);
    }
    s.lastTouchedNs = this.now();
    return s;
  }

  add(labels: Record<string, string>, delta: number): void {
    this.seriesFor(labels).value += delta;
  }

  set(labels: Record<string, string>, value: number): void {
    this.seriesFor(labels).value = value;
  }

  observe(labels: Record<string, string>, value: number): void {
    const s = this.seriesFor(labels);
    s.value += value;
    s.count++;
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.bucketCounts![i]!++;
  }

  /** Forgets every series (the stage's pipeline is being replaced). */
  reset(): void {
    this.series.clear();
  }

  /** prom-client's read interface; prunes idle series first. */
  async get(): Promise<{
    name: string;
    help: string;
    type: MetricKind;
    aggregator: 'sum';
    values: MetricValue[];
  }> {
    const now = this.now();
    for (const [key, s] of this.series) if (now - s.lastTouchedNs >= this.maxIdleNs) this.series.delete(key);
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      if (this.type !== 'histogram') {
        values.push({ value: s.value, labels: s.labels });
        continue;
      }
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += s.bucketCounts![i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          value: cumulative,
          labels: { ...s.labels, le: formatLe(bound) },
        });
      });
      values.push({ metricName: `${this.name}_bucket`, value: s.count, labels: { ...s.labels, le: '+Inf' } });
      values.push({ metricName: `${this.name}_sum`, value: s.value, labels: s.labels });
      values.push({ metricName: `${this.name}_count`, value: s.count, labels: s.labels });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }
}
