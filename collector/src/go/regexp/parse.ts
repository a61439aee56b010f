/**
 * A parser for Go's regexp/syntax (RE2, Perl flags as `regexp.Compile` uses them).
 * It rejects what Go rejects (backreferences, lookaround, bad escapes) with Go's
 * messages, and resolves inline flags onto each atom.
 */
import { GoRegexpError, type CharSet, type Node } from './ast.js';
import {
  complement,
  emptySet,
  foldRanges,
  normalize,
  perlClasses,
  posixClasses,
  unicodeProperty,
} from './charclass.js';

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

export interface Parsed {
  root: Node[][];
  /** Go's SubexpNames: index 0 is the whole match, '' for unnamed groups. */
  groupNames: string[];
}

const MAX_REPEAT = 1000;
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string): boolean => /^[0-9A-Fa-f]$/.test(c);

export function parseGoRegexp(expr: string): Parsed {
  let pos = 0;
  const groupNames = [''];

  const fail = (code: string, fragment: string): never => {
    throw new GoRegexpError(code, fragment);
  };
  const peek = (offset = 0): string | undefined => expr[pos + offset];

  /** Reads one code point at pos and advances past it. */
  const nextCodePoint = (): number => {
    const cp = expr.codePointAt(pos) ?? 0;
    pos += cp > 0xffff ? 2 : 1;
    return cp;
  };

  function parseAlternatives(flags: Flags): Node[][] {
    const alternatives: Node[][] = [[]];
    let current = alternatives[0] as Node[];
    let lastRepeatStart = -1;
    while (pos < expr.length) {
      const c = expr[pos] as string;
      const start = pos;
      if (c === ')') break;
      if (c === '|') {
        pos++;
        current = [];
        alternatives.push(current);
        lastRepeatStart = -1;
        continue;
      }
      if (c === '*' || c === '+' || c === '?' || (c === '{' && repeatBounds() !== undefined)) {
        let min: number;
        let max: number;
        if (c === '{') {
          const bounds = repeatBounds() as { min: number; max: number; end: number };
          pos = bounds.end;
          ({ min, max } = bounds);
          if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== Infinity && max < min)) {
            fail('invalid repeat count', expr.slice(start, pos));
          }
        } else {
          pos++;
          [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
        }
        let lazy = false;
        if (peek() === '?') {
          pos++;
          lazy = true;
        }
        const operand = current[current.length - 1];
        if (operand === undefined) fail('missing argument to repetition operator', expr.slice(start, pos));
        if (lastRepeatStart >= 0)
          fail('invalid nested repetition operator', expr.slice(lastRepeatStart, pos));
        current[current.length - 1] = {
          kind: 'repeat',
          node: operand as Node,
          min,
          max,
          greedy: lazy === flags.U,
        };
        lastRepeatStart = start;
        continue;
      }
      lastRepeatStart = -1;
      if (c === '(') {
        const node = parseGroup(flags);
        if (node) current.push(node);
        continue;
      }
      if (c === '[') {
        current.push({ kind: 'class', set: parseClass(flags), fold: flags.i });
        continue;
      }
      pos++;
      if (c === '.') current.push({ kind: 'any', dotAll: flags.s });
      else if (c === '^') current.push({ kind: 'lineStart', multiLine: flags.m });
      else if (c === '$') current.push({ kind: 'lineEnd', multiLine: flags.m });
      else if (c === '\\') current.push(parseEscape(flags));
      else {
        pos = start;
        current.push({ kind: 'literal', codePoint: nextCodePoint(), fold: flags.i });
      }
    }
    return alternatives;
  }

  /** `{n}`, `{n,}` or `{n,m}` at pos; anything else makes `{` a literal, as in Go. */
  function repeatBounds(): { min: number; max: number; end: number } | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(expr.slice(pos, pos + 24));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    return { min, max, end: pos + m[0].length };
  }

  /** A group at pos: capture, named capture, non-capture, or a flag change (returns undefined). */
  function parseGroup(outer: Flags): Node | undefined {
    const start = pos;
    if (peek(1) !== '?') {
      pos++;
      groupNames.push('');
      return finishGroup({ ...outer }, true);
    }
    const named = /^\(\?P?</.exec(expr.slice(pos, pos + 4));
    if (named && peek(named[0].length) !== '=' && peek(named[0].length) !== '!') {
      const close = expr.indexOf('>', pos);
      if (close < 0) fail('invalid named capture', expr.slice(start));
      const name = expr.slice(pos + named[0].length, close);
      if (!/^\w+$/.test(name)) fail('invalid named capture', expr.slice(start, close + 1));
      if (groupNames.includes(name)) fail('duplicate capture group name', name);
      groupNames.push(name);
      pos = close + 1;
      return finishGroup({ ...outer }, true);
    }
    // Flags: (?i) (?i-s) (?i:...)
    pos += 2;
    const flags = { ...outer };
    let negate = false;
    let sawFlag = false;
    for (;;) {
      const c = peek();
      if (c === undefined) fail('missing closing )', expr);
      pos++;
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        flags[c] = !negate;
        sawFlag = true;
      } else if (c === '-' && !negate) {
        negate = true;
        sawFlag = false;
      } else if ((c === ':' || c === ')') && (!negate || sawFlag)) {
        if (c === ':') return finishGroup(flags, false);
        Object.assign(outer, flags); // a bare (?i) applies to the rest of the enclosing group
        return undefined;
      } else {
        const hint = c === '=' || c === '!' || c === '<' ? ' (RE2 has no lookaround)' : '';
        fail(`invalid or unsupported Perl syntax${hint}`, expr.slice(start, pos));
      }
    }
  }

  function finishGroup(flags: Flags, capture: boolean): Node {
    const alternatives = parseAlternatives(flags);
    if (peek() !== ')') fail('missing closing )', expr);
    pos++;
    return { kind: 'group', capture, alternatives };
  }

  /** After a backslash (pos is past it). */
  function parseEscape(flags: Flags): Node {
    const start = pos - 1;
    const c = peek();
    if (c === undefined) fail('trailing backslash at end of expression', '');
    switch (c) {
      case 'A':
        pos++;
        return { kind: 'textStart' };
      case 'z':
        pos++;
        return { kind: 'textEnd' };
      case 'b':
      case 'B':
        pos++;
        return { kind: 'wordBoundary', negated: c === 'B' };
      case 'Q': {
        const end = expr.indexOf('\\E', pos + 1);
        const text = end < 0 ? expr.slice(pos + 1) : expr.slice(pos + 1, end);
        pos = end < 0 ? expr.length : end + 2;
        const literals: Node[] = [...text].map((s) => ({
          kind: 'literal',
          codePoint: s.codePointAt(0) ?? 0,
          fold: flags.i,
        }));
        return { kind: 'group', capture: false, alternatives: [literals] };
      }
      default: {
        const set = classEscape();
        if (set) return { kind: 'class', set, fold: flags.i };
        return { kind: 'literal', codePoint: escapedCodePoint(start), fold: flags.i };
      }
    }
  }

  /** `\d \s \w \D \S \W \pL \p{Greek} \PL \p{^Greek}` at pos (past the backslash), else undefined. */
  function classEscape(): CharSet | undefined {
    const start = pos - 1;
    const c = peek() as string;
    const perl = perlClasses[c.toLowerCase()];
    if (perl && 'dswDSW'.includes(c)) {
      pos++;
      return { negated: false, ranges: c === c.toLowerCase() ? perl : complement(perl), properties: [] };
    }
    if (c !== 'p' && c !== 'P') return undefined;
    pos++;
    let name: string;
    if (peek() === '{') {
      const close = expr.indexOf('}', pos);
      if (close < 0) fail('invalid character class range', expr.slice(start));
      name = expr.slice(pos + 1, close);
      pos = close + 1;
    } else {
      if (peek() === undefined) fail('invalid character class range', expr.slice(start));
      name = String.fromCodePoint(nextCodePoint());
    }
    let negated = c === 'P';
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const property = unicodeProperty(name, negated);
    if (property === undefined) fail('invalid character class range', expr.slice(start, pos));
    return { negated: false, ranges: [], properties: [property as string] };
  }

  /** A single-character escape at pos (past the backslash): octal, hex, control, punctuation. */
  function escapedCodePoint(start: number): number {
    const c = expr[pos] as string;
    pos++;
    const bad = (): never => fail('invalid escape sequence', expr.slice(start, pos));
    if (c >= '1' && c <= '7' && !isOctal(peek())) bad(); // a backreference: RE2 has none
    if (c >= '0' && c <= '7') {
      let digits = c;
      while (digits.length < 3 && isOctal(peek())) digits += expr[pos++];
      return parseInt(digits, 8);
    }
    if (c === 'x') {
      if (peek() === '{') {
        const close = expr.indexOf('}', pos);
        const hex = close < 0 ? '' : expr.slice(pos + 1, close);
        if (!/^[0-9A-Fa-f]{1,8}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) {
          pos = close < 0 ? expr.length : close + 1;
          bad();
        }
        pos = close + 1;
        return parseInt(hex, 16);
      }
      const hex = expr.slice(pos, pos + 2);
      pos += 2;
      if (hex.length < 2 || !isHex(hex[0] as string) || !isHex(hex[1] as string)) bad();
      return parseInt(hex, 16);
    }
    const controls: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (controls[c] !== undefined) return controls[c];
    const cp = c.codePointAt(0) ?? 0;
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) return cp; // escaped punctuation
    return bad();
  }

  /** A bracket class at pos. */
  function parseClass(flags: Flags): CharSet {
    const start = pos;
    pos++;
    const set = emptySet();
    if (peek() === '^') {
      pos++;
      set.negated = true;
    }
    let first = true;
    while (pos < expr.length && (peek() !== ']' || first)) {
      first = false;
      if (peek() === '[' && peek(1) === ':') {
        const m = /^\[:(\^?)([a-z]*):\]/.exec(expr.slice(pos, pos + 16));
        if (m) {
          const ranges = posixClasses[m[2] as string];
          if (!ranges) fail('invalid character class range', m[0]);
          set.ranges.push(
            ...(m[1] ? complement(ranges as [number, number][]) : (ranges as [number, number][])),
          );
          pos += m[0].length;
          continue;
        }
      }
      if (peek() === '\\' && pos + 1 < expr.length) {
        pos++;
        const inner = classEscape();
        if (inner) {
          set.ranges.push(...inner.ranges);
          set.properties.push(...inner.properties);
          continue;
        }
        pos--;
      }
      const rangeStart = pos;
      const lo = classChar();
      if (peek() === '-' && peek(1) !== ']' && peek(1) !== undefined) {
        pos++;
        const hi = classChar();
        if (hi < lo) fail('invalid character class range', expr.slice(rangeStart, pos));
        set.ranges.push([lo, hi]);
      } else {
        set.ranges.push([lo, lo]);
      }
    }
    if (pos >= expr.length) fail('missing closing ]', expr.slice(start));
    pos++;
    set.ranges = flags.i ? foldRanges(set.ranges) : normalize(set.ranges);
    return set;
  }

  function classChar(): number {
    if (peek() === '\\') {
      const start = pos;
      pos++;
      if (peek() === undefined) fail('trailing backslash at end of expression', '');
      return escapedCodePoint(start);
    }
    return nextCodePoint();
  }

  const root = parseAlternatives({ i: false, m: false, s: false, U: false });
  if (pos < expr.length) fail('unexpected )', expr);
  return { root, groupNames };
}
