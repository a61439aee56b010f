/** What a security detection reports: a stable name, how bad, and why, in words. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Detection {
  /** Stable, snake_case: `sql_injection`, `failed_login_burst`, `account_takeover`... */
  readonly type: string;
  readonly severity: Severity;
  /** For the human reading the alert: what was seen, where (never the secret itself). */
  readonly reason: string;
}

const rank: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The detection an entry is labelled with when it has several: the most severe, first on ties. */
export function mostSevere(detections: readonly Detection[]): Detection | undefined {
  let best: Detection | undefined;
  for (const d of detections) if (best === undefined || rank[d.severity] > rank[best.severity]) best = d;
  return best;
}
