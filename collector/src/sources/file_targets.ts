import type { Logger } from '../log.js';
import { createPathMatcher, type PathMatcher } from './glob.js';

/** One file target: the labels its entries get, and the files it names. */
export interface FileTarget {
  readonly labels: Record<string, string>;
  readonly matcher: PathMatcher;
}

/**
 * Turns relabelled label sets into file targets, as Promtail's target syncer
 * does: a set without `__path__` is dropped ("no path for target"), one whose
 * `__host__` is another host is dropped, and every label starting with `__`
 * (`__path__`, `__path_exclude__`, `__address__`, `__meta_*`) is removed from
 * the labels entries get.
 */
export function buildFileTargets(
  labelSets: ReadonlyArray<Readonly<Record<string, string>>>,
  hostname: string,
  logger: Logger,
): FileTarget[] {
  const out: FileTarget[] = [];
  for (const labels of labelSets) {
    const path = labels['__path__'];
    if (!path) {
      logger.info('no path for target', { labels });
      continue;
    }
    const host = labels['__host__'];
    if (host !== undefined && host !== hostname) {
      logger.debug('ignoring target, wrong host', { labels, hostname });
      continue;
    }
    const visible: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (!k.startsWith('__')) visible[k] = v;
    out.push({ labels: visible, matcher: createPathMatcher(path, labels['__path_exclude__']) });
  }
  return out;
}
