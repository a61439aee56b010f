import type { Problem } from './diagnostics.js';

/**
 * Rules across entries, checked on the raw data (zod skips refinements once a
 * field fails, and we want every problem at once).
 */
export function crossEntryProblems(data: object): Problem[] {
  const problems: Problem[] = [];
  const scrapes = (data as { scrape_configs?: unknown }).scrape_configs;
  if (Array.isArray(scrapes)) {
    // Promtail: "found multiple scrape configs with job name".
    const seen = new Map<string, number>();
    scrapes.forEach((scrape: unknown, index) => {
      const name = String((scrape as { job_name?: unknown } | null)?.job_name ?? '');
      const first = seen.get(name);
      if (first === undefined) seen.set(name, index);
      else {
        problems.push({
          severity: 'error',
          path: `scrape_configs[${index}].job_name`,
          message: `found multiple scrape configs with job name "${name}" (first at scrape_configs[${first}])`,
        });
      }
    });
  }
  return problems;
}
