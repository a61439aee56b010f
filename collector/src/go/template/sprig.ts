/**
 * The sprig functions Promtail's template stage exposes (Promtail loads all of
 * sprig.TxtFuncMap), as far as pipelines use them: strings, lists and dicts, integer
 * math, conversions, encodings and hashes, regexes, JSON. Not provided: date
 * functions (`now`, `date`, ...), env/expandenv (configs read the environment once,
 * at load), random and crypto generators, semver, paths, URL parsing and the
 * `must*` variants. A template using one fails at config time with
 * `function "now" not defined`, never silently.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FuncMap, GoFunc, Param } from './exec.js';
import { goQuote } from '../strconv.js';
import { goReplace, goTrimSpace } from './promtail_funcs.js';
import { allMatches, quoteMeta, split as regexSplit, type RegexCache } from './regex_funcs.js';
import {
  fromGoJson,
  goJson,
  isEmpty,
  sprint,
  strslice,
  strval,
  toFloat64,
  toInt64,
} from './sprig_convert.js';
import { GoFloat, isMap, typeName, type GoMap, type GoValue } from './value.js';

const fn = (params: Param[], call: GoFunc['call'], variadic?: Param): GoFunc =>
  variadic ? { params, call, variadic } : { params, call };
const str = (v: GoValue) => v as string;
const int = (v: GoValue) => v as number;

function bytesOf(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** sprig substr: byte offsets; a negative start means from 0, a bad end means to the end. */
function substr(start: number, end: number, s: string): string {
  const b = bytesOf(s);
  const cut = (lo: number, hi: number) => {
    if (lo < 0 || hi > b.length || lo > hi)
      throw new Error(`runtime error: slice bounds out of range [${lo}:${hi}]`);
    return b.subarray(lo, hi).toString('utf8');
  };
  if (start < 0) return cut(0, end);
  if (end < 0 || end > b.length) return cut(start, b.length);
  return cut(start, end);
}

function trunc(c: number, s: string): string {
  const b = bytesOf(s);
  if (c < 0 && b.length + c > 0) return b.subarray(b.length + c).toString('utf8');
  if (c >= 0 && b.length > c) return b.subarray(0, c).toString('utf8');
  return s;
}

/** Go's strings.Title: upper-cases each letter that follows a separator (anything but letters, digits, `_`). */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{Nd}_])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

function untitle(s: string): string {
  return s.replace(/(^|\s)(\S)/gu, (_m, sep: string, ch: string) => sep + ch.toLowerCase());
}

function splitToMap(parts: string[]): GoMap {
  const out: GoMap = {};
  parts.forEach((p, i) => (out[`_${i}`] = p));
  return out;
}

function goSplitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === '' ? [...s] : s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function list(v: GoValue, name: string): GoValue[] {
  if (Array.isArray(v)) return v;
  throw new Error(`Cannot find ${name} on type ${typeName(v)}`);
}

function base64Decode(s: string, alphabet: 'base64' | 'base32'): string {
  if (alphabet === 'base64') {
    const bad = /[^A-Za-z0-9+/=]/.exec(s);
    if (bad || s.length % 4 !== 0 || /=[^=]/.test(s)) {
      return `illegal base64 data at input byte ${bad ? bad.index : Math.floor(s.length / 4) * 4}`;
    }
    return Buffer.from(s, 'base64').toString('utf8');
  }
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '=') break;
    const d = digits.indexOf(c);
    if (d < 0) return `illegal base32 data at input byte ${i}`;
    value = (value << 5) | d;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function base32Encode(s: string): string {
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytesOf(s)) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += digits[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += digits[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of bytesOf(s)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function roundHalfAway(x: number, places: number): number {
  const pow = Math.pow(10, places);
  const digit = pow * x;
  const rounded =
    Math.abs(digit % 1) >= 0.5 ? (digit < 0 ? Math.floor(digit) : Math.ceil(digit)) : Math.trunc(digit);
  return rounded / pow;
}

function intMath(name: string, op: (a: number, b: number) => number): GoFunc {
  return fn(['any', 'any'], (a, b) => {
    const x = toInt64(a);
    const y = toInt64(b);
    if ((name === 'div' || name === 'mod') && y === 0)
      throw new Error('runtime error: integer divide by zero');
    return op(x, y);
  });
}

export function sprigFuncs(regexes: RegexCache): FuncMap {
  return {
    // Strings
    hello: fn([], () => 'Hello!'),
    upper: fn(['string'], (s) => str(s).toUpperCase()),
    lower: fn(['string'], (s) => str(s).toLowerCase()),
    title: fn(['string'], (s) => title(str(s))),
    untitle: fn(['string'], (s) => untitle(str(s))),
    trim: fn(['string'], (s) => goTrimSpace(str(s))),
    trimAll: fn(['string', 'string'], (cut, s) => {
      const set = new Set(str(cut));
      const chars = [...str(s)];
      let a = 0;
      let b = chars.length;
      while (a < b && set.has(chars[a]!)) a++;
      while (b > a && set.has(chars[b - 1]!)) b--;
      return chars.slice(a, b).join('');
    }),
    trimPrefix: fn(['string', 'string'], (p, s) =>
      str(p) !== '' && str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : s,
    ),
    trimSuffix: fn(['string', 'string'], (x, s) =>
      str(x) !== '' && str(s).endsWith(str(x)) ? str(s).slice(0, str(s).length - str(x).length) : s,
    ),
    substr: fn(['int', 'int', 'string'], (a, b, s) => substr(int(a), int(b), str(s))),
    trunc: fn(['int', 'string'], (c, s) => trunc(int(c), str(s))),
    abbrev: fn(['int', 'string'], (w, s) =>
      int(w) < 4 || str(s).length <= int(w) ? s : str(s).slice(0, int(w) - 3) + '...',
    ),
    repeat: fn(['int', 'string'], (n, s) => str(s).repeat(Math.max(0, int(n)))),
    nospace: fn(['string'], (s) => str(s).replace(/\s+/gu, '')),
    initials: fn(['string'], (s) =>
      str(s)
        .split(/\s+/u)
        .filter(Boolean)
        .map((w) => [...w][0])
        .join(''),
    ),
    contains: fn(['string', 'string'], (sub, s) => str(s).includes(str(sub))),
    hasPrefix: fn(['string', 'string'], (p, s) => str(s).startsWith(str(p))),
    hasSuffix: fn(['string', 'string'], (p, s) => str(s).endsWith(str(p))),
    replace: fn(['string', 'string', 'string'], (o, n, s) => goReplace(str(s), str(o), str(n), -1)),
    plural: fn(['string', 'string', 'int'], (one, many, n) => (int(n) === 1 ? one : many)),
    quote: fn(
      [],
      (...args) =>
        args
          .filter((a) => a !== null && a !== undefined)
          .map((a) => goQuote(strval(a)))
          .join(' '),
      'any',
    ),
    squote: fn(
      [],
      (...args) =>
        args
          .filter((a) => a !== null && a !== undefined)
          .map((a) => `'${strval(a)}'`)
          .join(' '),
      'any',
    ),
    cat: fn(
      [],
      (...args) =>
        args
          .filter((a) => a !== null && a !== undefined)
          .map(strval)
          .join(' '),
      'any',
    ),
    indent: fn(
      ['int', 'string'],
      (n, s) => ' '.repeat(int(n)) + str(s).replace(/\n/g, '\n' + ' '.repeat(int(n))),
    ),
    nindent: fn(
      ['int', 'string'],
      (n, s) => '\n' + ' '.repeat(int(n)) + str(s).replace(/\n/g, '\n' + ' '.repeat(int(n))),
    ),
    split: fn(['string', 'string'], (sep, s) => splitToMap(goSplitN(str(s), str(sep), -1))),
    splitn: fn(['string', 'int', 'string'], (sep, n, s) => splitToMap(goSplitN(str(s), str(sep), int(n)))),
    splitList: fn(['string', 'string'], (sep, s) => goSplitN(str(s), str(sep), -1)),
    join: fn(['string', 'any'], (sep, v) => strslice(v).join(str(sep))),
    sortAlpha: fn(['any'], (v) => strslice(v).sort()),
    toString: fn(['any'], (v) => strval(v)),
    toStrings: fn(['any'], (v) => strslice(v)),

    // Conversions and defaults
    atoi: fn(['string'], (s) => (/^[+-]?\d+$/.test(str(s)) ? Number(s) : 0)),
    int: fn(['any'], (v) => toInt64(v)),
    int64: fn(['any'], (v) => toInt64(v)),
    float64: fn(['any'], (v) => new GoFloat(toFloat64(v))),
    default: fn(['any'], (d, ...given) => (given.length === 0 || isEmpty(given[0]) ? d : given[0]), 'any'),
    empty: fn(['any'], (v) => isEmpty(v)),
    coalesce: fn([], (...args) => args.find((a) => !isEmpty(a)) ?? null, 'any'),
    ternary: fn(['any', 'any', 'bool'], (t, f, c) => (c ? t : f)),
    typeOf: fn(['any'], (v) => typeName(v)),
    kindOf: fn(['any'], (v) =>
      Array.isArray(v) ? 'slice' : isMap(v) ? 'map' : v === null ? 'invalid' : typeName(v),
    ),
    kindIs: fn(['string', 'any'], (k, v) => {
      const kind = Array.isArray(v) ? 'slice' : isMap(v) ? 'map' : typeName(v);
      return kind === k;
    }),
    typeIs: fn(['string', 'any'], (t, v) => typeName(v) === t),

    // Integer math (spf13/cast conversions: unparsable strings are 0)
    add: fn([], (...args) => args.reduce<number>((sum, a) => sum + toInt64(a), 0), 'any'),
    add1: fn(['any'], (a) => toInt64(a) + 1),
    sub: intMath('sub', (a, b) => a - b),
    mul: fn(['any'], (a, ...rest) => rest.reduce<number>((p, x) => p * toInt64(x), toInt64(a)), 'any'),
    div: intMath('div', (a, b) => Math.trunc(a / b)),
    mod: intMath('mod', (a, b) => a % b),
    max: fn(['any'], (a, ...rest) => Math.max(toInt64(a), ...rest.map(toInt64)), 'any'),
    min: fn(['any'], (a, ...rest) => Math.min(toInt64(a), ...rest.map(toInt64)), 'any'),
    floor: fn(['any'], (a) => new GoFloat(Math.floor(toFloat64(a)))),
    ceil: fn(['any'], (a) => new GoFloat(Math.ceil(toFloat64(a)))),
    round: fn(['any', 'int'], (a, p) => new GoFloat(roundHalfAway(toFloat64(a), int(p))), 'float'),
    until: fn(['int'], (n) => Array.from({ length: Math.max(0, int(n)) }, (_, i) => i)),

    // Encodings and hashes
    b64enc: fn(['string'], (s) => bytesOf(str(s)).toString('base64')),
    b64dec: fn(['string'], (s) => base64Decode(str(s), 'base64')),
    b32enc: fn(['string'], (s) => base32Encode(str(s))),
    b32dec: fn(['string'], (s) => base64Decode(str(s), 'base32')),
    sha1sum: fn(['string'], (s) => createHash('sha1').update(str(s)).digest('hex')),
    sha256sum: fn(['string'], (s) => createHash('sha256').update(str(s)).digest('hex')),
    sha512sum: fn(['string'], (s) => createHash('sha512').update(str(s)).digest('hex')),
    adler32sum: fn(['string'], (s) => String(adler32(str(s)))),
    toJson: fn(['any'], (v) => goJson(v)),
    toPrettyJson: fn(['any'], (v) => goJson(v, '  ')),
    fromJson: fn(['string'], (s) => {
      try {
        return fromGoJson(str(s));
      } catch {
        return null;
      }
    }),
    uuidv4: fn([], () => randomUUID()),

    // Regular expressions (Go RE2 syntax)
    regexMatch: fn(['string', 'string'], (re, s) => {
      try {
        return regexes.get(str(re)).regex.test(str(s));
      } catch {
        return false;
      }
    }),
    regexFind: fn(['string', 'string'], (re, s) => regexes.get(str(re)).regex.exec(str(s))?.[0] ?? ''),
    regexFindAll: fn(['string', 'string', 'int'], (re, s, n) =>
      allMatches(regexes.get(str(re)), str(s), int(n)).map((m) => m[0]),
    ),
    regexSplit: fn(['string', 'string', 'int'], (re, s, n) =>
      regexSplit(regexes.get(str(re)), str(s), int(n)),
    ),
    regexQuoteMeta: fn(['string'], (s) => quoteMeta(str(s))),

    // Lists
    list: fn([], (...args) => args.map((a) => (a === undefined ? null : a)), 'any'),
    tuple: fn([], (...args) => args.map((a) => (a === undefined ? null : a)), 'any'),
    first: fn(['any'], (l) => list(l, 'first')[0] ?? null),
    last: fn(['any'], (l) => list(l, 'last').at(-1) ?? null),
    rest: fn(['any'], (l) => list(l, 'rest').slice(1)),
    initial: fn(['any'], (l) => list(l, 'initial').slice(0, -1)),
    append: fn(['any', 'any'], (l, v) => [...list(l, 'append'), v]),
    prepend: fn(['any', 'any'], (l, v) => [v, ...list(l, 'prepend')]),
    reverse: fn(['any'], (l) => [...list(l, 'reverse')].reverse()),
    uniq: fn(['any'], (l) =>
      list(l, 'uniq').filter((v, i, all) => all.findIndex((w) => sprint([w]) === sprint([v])) === i),
    ),
    compact: fn(['any'], (l) => list(l, 'compact').filter((v) => !isEmpty(v))),
    has: fn(
      ['any', 'any'],
      (needle, l) => Array.isArray(l) && l.some((v) => sprint([v]) === sprint([needle])),
    ),
    concat: fn([], (...lists) => lists.flatMap((l) => (Array.isArray(l) ? l : [])), 'any'),

    // Dicts
    dict: fn(
      [],
      (...args) => {
        const out: GoMap = {};
        for (let i = 0; i < args.length; i += 2)
          out[strval(args[i])] = i + 1 < args.length ? args[i + 1] : '';
        return out;
      },
      'any',
    ),
    get: fn(['any', 'string'], (d, k) => (isMap(d) && Object.hasOwn(d, str(k)) ? d[str(k)] : '')),
    set: fn(['any', 'string', 'any'], (d, k, v) => {
      if (isMap(d)) d[str(k)] = v;
      return d;
    }),
    unset: fn(['any', 'string'], (d, k) => {
      if (isMap(d)) delete d[str(k)];
      return d;
    }),
    hasKey: fn(['any', 'string'], (d, k) => isMap(d) && Object.hasOwn(d, str(k))),
    keys: fn([], (...ds) => ds.flatMap((d) => (isMap(d) ? Object.keys(d) : [])), 'any'),
    values: fn(['any'], (d) => (isMap(d) ? Object.values(d) : [])),
    pluck: fn(
      ['string'],
      (k, ...ds) =>
        ds
          .filter(isMap)
          .filter((d) => Object.hasOwn(d, str(k)))
          .map((d) => d[str(k)]),
      'any',
    ),

    fail: fn(['string'], (msg) => {
      throw new Error(str(msg));
    }),
  };
}
