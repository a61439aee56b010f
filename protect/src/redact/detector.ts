/**
 * One named kind of secret. The redactor runs a detector only when the line can
 * contain what it looks for (`keywords`), so most clean lines cost a substring scan.
 *
 * Pattern convention: a global regex whose group 1 is context kept as is (`Bearer `,
 * `"password":"`, may be empty) and group 2 is the secret that gets replaced.
 */
export interface Detector {
  /** The name users enable/disable and that appears in `[REDACTED:<name>]` and metrics. */
  readonly name: string;
  /**
   * Lower-case literals; the detector runs only if the lower-cased text contains one
   * of them. Empty: the detector always runs (digit-shaped secrets have no literal).
   */
  readonly keywords: readonly string[];
  readonly pattern: RegExp;
  /** Second opinion on a candidate (Luhn, SSN number ranges); false leaves it alone. */
  readonly accept?: (secret: string) => boolean;
}
