import type { Registry } from 'prom-client';

/**
 * The metric called `name` in `registry`, created on first use. Several sources
 * of one kind (one per scrape config) share a registry, and prom-client refuses
 * to register a name twice.
 */
export function registeredMetric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
