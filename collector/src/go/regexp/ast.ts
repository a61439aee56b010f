/**
 * The parsed form of a Go (RE2) regular expression, before it is written out as
 * JavaScript. Flags that change how an atom matches (`i`, `s`, `m`, `U`) are
 * resolved at parse time and stored on the atom, because JavaScript (Node 20)
 * has no scoped inline flags.
 */
export type Node =
  | { kind: 'literal'; codePoint: number; fold: boolean }
  | { kind: 'class'; set: CharSet; fold: boolean }
  | { kind: 'any'; dotAll: boolean }
  | { kind: 'lineStart'; multiLine: boolean }
  | { kind: 'lineEnd'; multiLine: boolean }
  | { kind: 'textStart' }
  | { kind: 'textEnd' }
  | { kind: 'wordBoundary'; negated: boolean }
  | { kind: 'group'; capture: boolean; alternatives: Node[][] }
  | { kind: 'repeat'; node: Node; min: number; max: number; greedy: boolean };

/** A character class: code point ranges plus Unicode property escapes, possibly negated. */
export interface CharSet {
  negated: boolean;
  /** Inclusive [low, high] code point ranges. */
  ranges: [number, number][];
  /** Unicode property escapes already in JavaScript syntax, e.g. `\p{L}` or `\P{Script=Greek}`. */
  properties: string[];
}

/** Thrown for an expression Go would reject (or one we cannot express); message in Go's words. */
export class GoRegexpError extends Error {
  constructor(
    readonly code: string,
    readonly fragment: string,
  ) {
    super(`error parsing regexp: ${code}: \`${fragment}\``);
    this.name = 'GoRegexpError';
  }
}
