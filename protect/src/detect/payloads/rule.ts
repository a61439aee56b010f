import type { Severity } from '../detection.js';

/**
 * One signature of an attack, matched against decoded, lower-cased text. Rules are
 * written for the payloads seen in the wild (sqlmap, XSS cheat sheets, traversal
 * lists) and tested against benign look-alikes (O'Brien, `a<b`, `rock & roll`).
 */
export interface PayloadRule {
  readonly pattern: RegExp;
  /** What this rule recognises, e.g. `UNION SELECT`; the reason text adds where. */
  readonly what: string;
}

export interface AttackType {
  readonly type: string;
  readonly severity: Severity;
  readonly rules: readonly PayloadRule[];
}
