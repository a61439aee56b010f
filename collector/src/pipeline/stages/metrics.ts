/**
 * `metrics`: Prometheus metrics from log entries, served on /metrics.
 *
 *   - metrics:
 *       http_requests_total:              # metric name (after the prefix)
 *         type: Counter                   # Counter | Gauge | Histogram (any case)
 *         description: requests seen
 *         source: status                  # extracted key (default: the metric name)
 *         prefix: promtail_custom_        # default promtail_custom_
 *         max_idle_duration: 5m           # series untouched this long are dropped (>= 1s)
 *         config:
 *           value: '500'                  # only count when the value is exactly this text
 *           action: inc                   # counter: inc | add; gauge: set | inc | dec | add | sub
 *           match_all: false              # counter: count every entry, source or not
 *           count_entry_bytes: false      # counter + match_all + add: add the line's byte length
 *           buckets: [0.1, 0.5, 1]        # histogram (default: Prometheus' default buckets)
 *
 * Each series is labelled with the entry's labels as they are at this stage
 * (so `{job, filename, ...}`), like Promtail. Example: with the counter above and
 * an entry `{job="web"}` whose extracted `status` is `500`,
 * /metrics shows `promtail_custom_http_requests_total{job="web"} 1`.
 *
 * Values for add/set/sub and histograms are numbers, booleans (1/0), numeric text,
 * or Go durations (`250ms` counts as 0.25 seconds), as in Promtail. An entry whose
 * source is missing leaves the metric alone; one whose value is not a number is
 * counted as `not_a_number`.
 *
 * Where we differ, on purpose: a negative `add` on a counter is refused and counted
 * (`negative_counter_add`) where Promtail's Prometheus client panics; labels starting
 * with `__` (e.g. `__tenant_id__`) are left off the series, since Prometheus rejects them.
 */
import { z } from 'zod';
import { defineStage, StageConfigError } from '../stage.js';
import { extractedToString } from '../../go/strconv.js';
import { parseDuration } from '../../config/duration.js';
import { DEFAULT_BUCKETS, DynamicLabelMetric, type MetricKind } from '../metric/vec.js';
import type { Entry } from '../entry.js';

const DEFAULT_PREFIX = 'promtail_custom_';
const DEFAULT_MAX_IDLE = '5m';
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const metricSchema = z.object({
  type: z.string(),
  description: z.string().optional(),
  source: z.string().optional(),
  prefix: z.string().optional(),
  max_idle_duration: z.string().optional(),
  config: z
    .object({
      value: z.string().optional(),
      action: z.string().optional(),
      match_all: z.boolean().optional(),
      count_entry_bytes: z.boolean().optional(),
      buckets: z.array(z.number()).optional(),
    })
    .optional(),
});

const schema = z.record(z.string(), metricSchema);

type MetricConfig = z.output<typeof metricSchema>;

const COUNTER_ACTIONS = ['inc', 'add'];
const GAUGE_ACTIONS = ['set', 'inc', 'dec', 'add', 'sub'];

/** Promtail's getFloat: numbers, booleans, numeric text, or Go durations in seconds. */
function toFloat(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim() === value ? value : '';
  if (/^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && !text.includes('_')) return Number(text);
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  // Go's time.ParseDuration knows no days, weeks or years.
  if (/[dwy]/.test(text)) return undefined;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : ms / 1000;
}

/** The entry's labels without reserved `__` ones, which Prometheus refuses. */
function metricLabels(entry: Entry): Record<string, string> {
  const labels = entry.labels;
  for (const name in labels) {
    if (name.startsWith('__')) {
      const copy: Record<string, string> = {};
      for (const n in labels) if (!n.startsWith('__')) copy[n] = labels[n]!;
      return copy;
    }
  }
  return labels;
}

type Recorder = (entry: Entry) => void;

function validate(name: string, cfg: MetricConfig): { kind: MetricKind; action: string } {
  const kind = cfg.type.toLowerCase();
  if (kind !== 'counter' && kind !== 'gauge' && kind !== 'histogram') {
    throw new StageConfigError(
      `${name}.type`,
      `invalid metric type '${kind}', metric type must be one of 'counter', 'gauge', or 'histogram'`,
    );
  }
  const c = cfg.config ?? {};
  const action = (c.action ?? '').toLowerCase();
  const field = `${name}.config`;
  if (kind === 'counter') {
    if (action === '')
      throw new StageConfigError(field, 'counter action must be defined as either `inc` or `add`');
    if (!COUNTER_ACTIONS.includes(action)) {
      throw new StageConfigError(
        field,
        `action ${action} is not valid, action must be either \`inc\` or \`add\``,
      );
    }
    if (c.match_all && c.value !== undefined) {
      throw new StageConfigError(
        field,
        '`match_all: true` cannot be combined with `value`, please remove `match_all` or `value`',
      );
    }
    if (c.count_entry_bytes && !c.match_all) {
      throw new StageConfigError(field, '`count_entry_bytes: true` can only be set with `match_all: true`');
    }
    if (c.count_entry_bytes && action !== 'add') {
      throw new StageConfigError(field, '`count_entry_bytes: true` can only be used with `action: add`');
    }
  }
  if (kind === 'gauge') {
    if (action === '') {
      throw new StageConfigError(
        field,
        'gauge action must be defined as `set`, `inc`, `dec`, `add`, or `sub`',
      );
    }
    if (!GAUGE_ACTIONS.includes(action)) {
      throw new StageConfigError(
        field,
        `action ${action} is not valid, action must be \`set\`, \`inc\`, \`dec\`, \`add\`, or \`sub\``,
      );
    }
  }
  return { kind, action };
}

export const metrics = defineStage({
  name: 'metrics',
  schema,
  create(config, ctx) {
    const now = () => ctx.clock.now();
    const recorders: Recorder[] = [];
    for (const [name, cfg] of Object.entries(config)) {
      const { kind, action } = validate(name, cfg);
      const idleText = cfg.max_idle_duration ?? DEFAULT_MAX_IDLE;
      const idleMs = /[dwy]/.test(idleText) ? undefined : parseDuration(idleText);
      if (idleMs === undefined) {
        throw new StageConfigError(
          `${name}.max_idle_duration`,
          `max_idle_duration could not be parsed as a time.Duration: '${idleText}'`,
        );
      }
      if (idleMs < 1000)
        throw new StageConfigError(`${name}.max_idle_duration`, 'max_idle_duration less than 1s not allowed');
      const fullName = (cfg.prefix || DEFAULT_PREFIX) + name;
      if (!METRIC_NAME.test(fullName)) {
        throw new StageConfigError(name, `invalid metric name ${JSON.stringify(fullName)}`);
      }
      let metric: DynamicLabelMetric;
      try {
        metric = DynamicLabelMetric.register(ctx.metrics, {
          name: fullName,
          help: cfg.description ?? '',
          type: kind,
          buckets: cfg.config?.buckets ?? DEFAULT_BUCKETS,
          maxIdleNs: BigInt(Math.round(idleMs)) * 1_000_000n,
          now,
        });
      } catch (err) {
        throw new StageConfigError(name, (err as Error).message);
      }
      recorders.push(makeRecorder(kind, action, cfg, name, metric, (reason) => ctx.countError(reason)));
    }
    return {
      process(entry) {
        for (const record of recorders) record(entry);
        return entry;
      },
    };
  },
});

function makeRecorder(
  kind: MetricKind,
  action: string,
  cfg: MetricConfig,
  name: string,
  metric: DynamicLabelMetric,
  countError: (reason: string) => void,
): Recorder {
  const source = cfg.source ?? name;
  const c = cfg.config ?? {};
  const wanted = c.value;

  if (kind === 'counter' && c.match_all) {
    // Counted whether or not the source exists.
    if (c.count_entry_bytes)
      return (entry) => metric.add(metricLabels(entry), Buffer.byteLength(entry.line, 'utf8'));
    return (entry) => metric.add(metricLabels(entry), 1);
  }

  const number = (v: unknown): number | undefined => {
    const f = toFloat(v);
    if (f === undefined) countError('not_a_number');
    return f;
  };

  return (entry) => {
    const v = entry.extracted[source];
    if (v === undefined) return;
    if (wanted !== undefined && extractedToString(v) !== wanted) return;
    const labels = metricLabels(entry);
    if (kind === 'histogram') {
      const f = number(v);
      if (f !== undefined) metric.observe(labels, f);
      return;
    }
    switch (action) {
      case 'inc':
        metric.add(labels, 1);
        return;
      case 'dec':
        metric.add(labels, -1);
        return;
    }
    const f = number(v);
    if (f === undefined) return;
    if (kind === 'counter') {
      if (f < 0) countError('negative_counter_add');
      else metric.add(labels, f);
      return;
    }
    if (action === 'set') metric.set(labels, f);
    else metric.add(labels, action === 'sub' ? -f : f);
  };
}
