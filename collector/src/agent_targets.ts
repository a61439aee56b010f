import type { Config } from './config/schema.js';
import { relabel } from './sources/relabel.js';

export type { Config };

export interface ScrapeTarget {
  scrape: Config['scrape_configs'][number];
  index: number;
  /** Label sets after relabelling, each still with its `__path__`. */
  targets: Record<string, string>[];
}

/** Promtail's stand-in when the config has no scrape config: job "stdin". */
const DEFAULT_STDIN_SCRAPE: Config['scrape_configs'][number] = {
  job_name: 'stdin',
  pipeline_stages: [],
  static_configs: [{ targets: [], labels: { job: 'stdin' } }],
  relabel_configs: [],
};

/**
 * The one target `--stdin` reads as: the FIRST scrape config's pipeline and the
 * labels of its static_configs merged, minus meta labels starting with `__`
 * (such as `__path__`, which only file discovery reads). No scrape config:
 * job "stdin" with label job="stdin", as Promtail does.
 */
export function stdinLabels(config: Config): {
  scrape: Config['scrape_configs'][number];
  labels: Record<string, string>;
} {
  const scrape = config.scrape_configs[0] ?? DEFAULT_STDIN_SCRAPE;
  const labels: Record<string, string> = {};
  for (const group of scrape.static_configs) {
    for (const [name, value] of Object.entries(group.labels)) {
      if (!name.startsWith('__')) labels[name] = value;
    }
  }
  return { scrape, labels };
}

/**
 * File targets per scrape config: each static_configs group yields one label
 * set per entry of `targets` (with `__address__`, as Prometheus does; one set
 * when `targets` is empty), relabelled with the scrape config's rules; sets
 * without `__path__` are not files and are skipped.
 */
export function fileTargets(config: Config): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  config.scrape_configs.forEach((scrape, index) => {
    const targets: Record<string, string>[] = [];
    for (const group of scrape.static_configs) {
      const addresses = group.targets.length > 0 ? group.targets : [undefined];
      for (const address of addresses) {
        const labels =
          address === undefined ? { ...group.labels } : { __address__: address, ...group.labels };
        const relabelled = relabel(labels, scrape.relabel_configs);
        if (relabelled && relabelled.__path__) targets.push(relabelled);
      }
    }
    if (targets.length > 0) out.push({ scrape, index, targets });
  });
  return out;
}
