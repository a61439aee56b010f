/**
 * Go regular expressions (RE2 syntax, as Promtail's `regexp.Compile` reads them)
 * translated once, at config time, into a JavaScript RegExp.
 *
 * Supported: `(?P<name>...)` and `(?<name>...)`; inline flags `(?i)`, `(?m)`, `(?s)`,
 * `(?U)` and their scoped forms `(?i:...)`, `(?-s)` (JavaScript in Node 20 has no scoped
 * flags, so case-insensitive atoms are expanded to `[aA]` unless the whole expression
 * folds, which uses the `i` flag); `\A`, `\z`; Go's ASCII `\s \d \w`; POSIX classes
 * `[[:alpha:]]`, `[[:^space:]]`; Unicode classes `\pL`, `\p{Greek}`, `\P{Lu}`, `\p{^L}`;
 * `\Q...\E`; octal and `\x{...}` escapes; Go's `.` (everything but `\n`, unlike
 * JavaScript's, which also refuses `\r`).
 *
 * Rejected as Go rejects them, with Go's message (`error parsing regexp: ...`):
 * backreferences (`\1`), lookaround (`(?=`, `(?!`, `(?<=`), `\Z`, possessive or nested
 * repetition (`a**`), repeat counts over 1000, unknown escapes and POSIX class names.
 *
 * Not exact: case-insensitive Unicode property classes inside a partly
 * case-sensitive expression match only as written; Go matches bytes of invalid
 * UTF-8 where JavaScript strings hold lone surrogates. And not linear-time: RE2
 * guarantees it, JavaScript backtracks, so nested quantifiers such as `(a+)+$`
 * can take very long on a hostile line. Matches are the same (leftmost-first).
 */
import { emit, foldsEverywhere } from './regexp/emit.js';
import { parseGoRegexp } from './regexp/parse.js';

import { GoRegexpError } from './regexp/ast.js';

export { GoRegexpError };

export interface GoRegexp {
  /** The Go expression as written in the config. */
  readonly source: string;
  /** For single matches (no `g` flag, so no lastIndex state). */
  readonly regex: RegExp;
  /** Go's SubexpNames: index 0 is the whole match, '' for unnamed groups. */
  readonly groupNames: readonly string[];
  /** The same pattern with the `g` flag, for String.replace; callers must reset lastIndex before exec. */
  readonly global: RegExp;
  /** With the `g` and `d` flags (group positions), used by findAll. */
  readonly indices: RegExp;
}

/** Compiles a Go expression; throws GoRegexpError with Go's wording when Go would reject it. */
export function compileGoRegexp(source: string): GoRegexp {
  const { root, groupNames } = parseGoRegexp(source);
  const fold = foldsEverywhere(root);
  const js = emit(root, fold);
  const flags = fold ? 'iu' : 'u';
  try {
    return {
      source,
      regex: new RegExp(js, flags),
      global: new RegExp(js, `g${flags}`),
      indices: new RegExp(js, `dg${flags}`),
      groupNames,
    };
  } catch (err) {
    // A construct Go accepts that JavaScript cannot express; say so rather than guess.
    throw new GoRegexpError(`cannot be expressed in JavaScript (${(err as Error).message})`, source);
  }
}

/**
 * Go's FindAllStringSubmatchIndex as JavaScript matches: every non-overlapping
 * match, except an empty match right after the previous match (Go skips those;
 * JavaScript's matchAll does not).
 */
export function findAll(re: GoRegexp, input: string): RegExpExecArray[] {
  const g = re.indices;
  g.lastIndex = 0;
  const out: RegExpExecArray[] = [];
  let previousEnd = -1;
  for (let m = g.exec(input); m !== null; m = g.exec(input)) {
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      g.lastIndex = end + ((input.codePointAt(end) ?? 0) > 0xffff ? 2 : 1);
      if (m.index === previousEnd) continue;
    }
    out.push(m);
    previousEnd = end;
  }
  return out;
}
