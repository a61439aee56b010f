/**
 * Regular-expression template functions, shared by Promtail's additions
 * (regexReplaceAll, regexReplaceAllLiteral) and sprig's (regexMatch, regexFind,
 * regexFindAll, regexSplit, regexQuoteMeta). Go semantics: RE2 syntax through
 * src/go/regexp.ts, `$1`/`${name}` expansion as regexp.Expand, and empty matches
 * right after a match are skipped, as Go's ReplaceAll does.
 */
import { compileGoRegexp, type GoRegexp } from '../regexp.js';

/** Compiled expressions of one template, by source (templates pass literal patterns). */
export class RegexCache {
  private readonly compiled = new Map<string, GoRegexp>();
  get(source: string): GoRegexp {
    let re = this.compiled.get(source);
    if (!re) {
      // Go's MustCompile panics on a bad pattern; the template call fails with its message.
      re = compileGoRegexp(source);
      if (this.compiled.size >= 256) this.compiled.clear();
      this.compiled.set(source, re);
    }
    return re;
  }
}

/** Every match, Go style: non-overlapping, empty matches adjacent to a previous match dropped. */
export function allMatches(re: GoRegexp, s: string, limit = -1): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  const g = re.global;
  g.lastIndex = 0;
  let prevEnd = -1;
  while (limit < 0 || out.length < limit) {
    const m = g.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      // Step over one code point so the search moves on.
      const cp = s.codePointAt(m.index);
      g.lastIndex = m.index + (cp !== undefined && cp > 0xffff ? 2 : 1);
      if (m.index === prevEnd) continue;
    }
    out.push(m);
    prevEnd = end;
    if (g.lastIndex > s.length) break;
  }
  return out;
}

/** Go's Regexp.Expand of a replacement template for one match. */
export function expand(template: string, m: RegExpExecArray, groupNames: readonly string[]): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (template[i] === '{') {
      const close = template.indexOf('}', i + 1);
      const candidate = close < 0 ? '' : template.slice(i + 1, close);
      if (candidate !== '' && /^[\p{L}\p{Nd}_]+$/u.test(candidate)) {
        name = candidate;
        i = close + 1;
      }
    } else {
      const match = /^[\p{L}\p{Nd}_]+/u.exec(template.slice(i));
      if (match) {
        name = match[0];
        i += name.length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    if (/^\d+$/.test(name)) {
      out += m[Number(name)] ?? '';
    } else {
      const index = groupNames.indexOf(name);
      if (index > 0) out += m[index] ?? '';
    }
  }
  return out;
}

/** Go's ReplaceAllString (`literal`: ReplaceAllLiteralString). */
export function replaceAll(re: GoRegexp, s: string, replacement: string, literal: boolean): string {
  let out = '';
  let last = 0;
  for (const m of allMatches(re, s)) {
    out += s.slice(last, m.index) + (literal ? replacement : expand(replacement, m, re.groupNames));
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

/** Go's Regexp.Split(s, n). */
export function split(re: GoRegexp, s: string, n: number): string[] {
  if (n === 0) return [];
  if (re.source.length > 0 && s.length === 0) return [''];
  const matches = allMatches(re, s);
  const out: string[] = [];
  let beg = 0;
  for (const m of matches) {
    if (n > 0 && out.length === n - 1) break;
    const end = m.index;
    if (m[0].length === 0 && m.index === 0) continue;
    out.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  out.push(s.slice(beg));
  return out;
}

/** Go's regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
