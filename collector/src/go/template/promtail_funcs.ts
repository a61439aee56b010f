/**
 * The functions Promtail's template stage adds on top of sprig (stages/template.go):
 * Go's strings functions under their Go names, Hash (SHA3-256) and Sha2Hash
 * (SHA-256) of salt+input, and regexReplaceAll/regexReplaceAllLiteral.
 *
 * Surprise kept: Hash and Sha2Hash are declared `(salt, input)` but Promtail's docs
 * write `{{ Hash .Value "salt" }}`; both hash the concatenation, so either order
 * gives the digest of value+"salt" in the documented form.
 */
import { createHash } from 'node:crypto';
import type { FuncMap, GoFunc } from './exec.js';
import { replaceAll, type RegexCache } from './regex_funcs.js';

const asString = (v: unknown) => v as string;

/** Go's strings.Trim family: `cutset` is a set of code points. */
function trimCutset(s: string, cutset: string, left: boolean, right: boolean): string {
  const set = new Set(cutset);
  const chars = [...s];
  let start = 0;
  let end = chars.length;
  if (left) while (start < end && set.has(chars[start]!)) start++;
  if (right) while (end > start && set.has(chars[end - 1]!)) end--;
  return chars.slice(start, end).join('');
}

/** Go's strings.Replace(s, old, new, n); n < 0 replaces all, empty `old` inserts between runes. */
export function goReplace(s: string, old: string, replacement: string, n: number): string {
  if (n === 0 || old === replacement) return s;
  if (old === '') {
    const chars = [...s];
    let out = '';
    let done = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (n < 0 || done < n) {
        out += replacement;
        done++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let out = '';
  let pos = 0;
  let done = 0;
  while (n < 0 || done < n) {
    const at = s.indexOf(old, pos);
    if (at < 0) break;
    out += s.slice(pos, at) + replacement;
    pos = at + old.length;
    done++;
  }
  return out + s.slice(pos);
}

/** Go's unicode.IsSpace set, for strings.TrimSpace. */
const GO_SPACE =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

export function goTrimSpace(s: string): string {
  return s.replace(GO_SPACE, '');
}

const s1 = (call: (s: string) => string): GoFunc => ({ params: ['string'], call: (s) => call(asString(s)) });
const s2 = (call: (a: string, b: string) => string): GoFunc => ({
  params: ['string', 'string'],
  call: (a, b) => call(asString(a), asString(b)),
});

export function promtailFuncs(regexes: RegexCache): FuncMap {
  return {
    ToLower: s1((s) => s.toLowerCase()),
    ToUpper: s1((s) => s.toUpperCase()),
    Replace: {
      params: ['string', 'string', 'string', 'int'],
      call: (s, old, rep, n) => goReplace(asString(s), asString(old), asString(rep), n as number),
    },
    Trim: s2((s, cutset) => trimCutset(s, cutset, true, true)),
    TrimLeft: s2((s, cutset) => trimCutset(s, cutset, true, false)),
    TrimRight: s2((s, cutset) => trimCutset(s, cutset, false, true)),
    TrimPrefix: s2((s, prefix) => (prefix !== '' && s.startsWith(prefix) ? s.slice(prefix.length) : s)),
    TrimSuffix: s2((s, suffix) =>
      suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s,
    ),
    TrimSpace: s1(goTrimSpace),
    Hash: s2((salt, input) =>
      createHash('sha3-256')
        .update(salt + input)
        .digest('hex'),
    ),
    Sha2Hash: s2((salt, input) =>
      createHash('sha256')
        .update(salt + input)
        .digest('hex'),
    ),
    regexReplaceAll: {
      params: ['string', 'string', 'string'],
      call: (re, s, repl) => replaceAll(regexes.get(asString(re)), asString(s), asString(repl), false),
    },
    regexReplaceAllLiteral: {
      params: ['string', 'string', 'string'],
      call: (re, s, repl) => replaceAll(regexes.get(asString(re)), asString(s), asString(repl), true),
    },
  };
}
