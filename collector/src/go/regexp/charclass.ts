/**
 * The character sets of Go's regexp/syntax, as code point ranges: Perl classes
 * (`\d \s \w`, ASCII-only in Go, unlike JavaScript's Unicode `\s`), POSIX classes
 * (`[[:alpha:]]`), Unicode property names, and the set algebra the emitter needs
 * (merge, complement, case variants).
 */
import type { CharSet } from './ast.js';

type Ranges = [number, number][];

const ch = (c: string): number => c.codePointAt(0) ?? 0;
const r = (lo: string, hi: string = lo): [number, number] => [ch(lo), ch(hi)];

/** Go's Perl classes; note `\s` is `[\t\n\f\r ]`: no `\v`, no Unicode spaces. */
export const perlClasses: Record<string, Ranges> = {
  d: [r('0', '9')],
  s: [r('\t', '\n'), r('\f', '\r'), r(' ')],
  w: [r('0', '9'), r('A', 'Z'), r('_'), r('a', 'z')],
};

export const posixClasses: Record<string, Ranges> = {
  alnum: [r('0', '9'), r('A', 'Z'), r('a', 'z')],
  alpha: [r('A', 'Z'), r('a', 'z')],
  ascii: [[0, 0x7f]],
  blank: [r('\t'), r(' ')],
  cntrl: [
    [0, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [r('0', '9')],
  graph: [r('!', '~')],
  lower: [r('a', 'z')],
  print: [r(' ', '~')],
  punct: [r('!', '/'), r(':', '@'), r('[', '`'), r('{', '~')],
  space: [r('\t', '\r'), r(' ')],
  upper: [r('A', 'Z')],
  word: [r('0', '9'), r('A', 'Z'), r('_'), r('a', 'z')],
  xdigit: [r('0', '9'), r('A', 'F'), r('a', 'f')],
};

/** Go's Unicode general categories; any other `\p{Name}` is a script. */
const generalCategories = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);

/**
 * JavaScript's spelling of Go's `\p{name}` (or `\P{name}` when negated), or undefined
 * when JavaScript does not know the name (then Go would not either, in practice).
 */
export function unicodeProperty(name: string, negated: boolean): string | undefined {
  const p = negated ? 'P' : 'p';
  let js: string;
  if (name === 'Any') js = `\\${p}{Any}`;
  else if (generalCategories.has(name)) js = `\\${p}{${name}}`;
  else if (/^[A-Z][A-Za-z_]*$/.test(name)) js = `\\${p}{Script=${name}}`;
  else return undefined;
  try {
    new RegExp(js, 'u');
    return js;
  } catch {
    return undefined;
  }
}

const MAX = 0x10ffff;

/** Sorted, non-overlapping, adjacent ranges merged. */
export function normalize(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}

/**
 * The other code points a case-insensitive match accepts for `cp` (simple case
 * folding, as Go and JavaScript's `iu` flags do), including the odd orbits
 * k/K/U+212A (Kelvin) and s/S/U+017F (long s).
 */
export function caseVariants(cp: number): number[] {
  const s = String.fromCodePoint(cp);
  const out = new Set<number>();
  for (const v of [s.toLowerCase(), s.toUpperCase()]) {
    const c = v.codePointAt(0);
    if (c !== undefined && String.fromCodePoint(c) === v && c !== cp) out.add(c);
  }
  for (const orbit of [
    [0x6b, 0x4b, 0x212a],
    [0x73, 0x53, 0x17f],
    [0xe5, 0xc5, 0x212b],
  ]) {
    if (orbit.includes(cp)) for (const c of orbit) if (c !== cp) out.add(c);
  }
  return [...out];
}

/** Ranges widened with every case variant of their members (ranges wider than 0x3000 are left as they are). */
export function foldRanges(ranges: Ranges): Ranges {
  const extra: Ranges = [];
  for (const [lo, hi] of ranges) {
    if (hi - lo > 0x3000) continue;
    for (let c = lo; c <= hi; c++) for (const v of caseVariants(c)) extra.push([v, v]);
  }
  return normalize([...ranges, ...extra]);
}

export function emptySet(): CharSet {
  return { negated: false, ranges: [], properties: [] };
}
