/**
 * The functions every Go text/template has: and, or, not, len, index, slice, eq,
 * ne, lt, le, gt, ge, print, printf, println, html, js, urlquery.
 */
import type { FuncMap, GoFunc } from './exec.js';
import { sprint, sprintf, sprintln } from './fmt.js';
import { GoFloat, isMap, isTrue, typeName, type GoValue } from './value.js';

type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid' | 'other';

/** Go's basicKind; a missing value and nil are both "invalid" (an empty reflect.Value). */
function basicKind(v: GoValue): Kind {
  if (v === undefined || v === null) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (v instanceof GoFloat) return 'float';
  if (typeof v === 'string') return 'string';
  return 'other';
}

const scalar = (v: GoValue) => (v instanceof GoFloat ? v.value : v);

/**
 * Go's eq: true when arg1 equals any of the others. A missing key compares unequal
 * to any value without error (`eq .nope "x"` is false), two missing ones are equal;
 * two present values of different kinds are an error.
 */
function eq(arg1: GoValue, ...rest: GoValue[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    if (k1 !== k2) {
      if (k1 !== 'invalid' && k2 !== 'invalid') throw new Error('incompatible types for comparison');
      continue;
    }
    if (k1 === 'invalid') return true;
    if (k1 === 'other') throw new Error(`non-comparable type ${typeName(arg1)}`);
    if (scalar(arg1) === scalar(arg)) return true;
  }
  return false;
}

function lessThan(a: GoValue, b: GoValue): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'bool' || ka === 'other' || ka === 'invalid' || kb === 'invalid' || kb === 'other') {
    throw new Error('invalid type for comparison');
  }
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return (scalar(a) as number | string) < (scalar(b) as number | string);
}

/** The argument text of html/js/urlquery: one string as is, anything else through Sprint. */
function evalArgs(args: GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) =>
    c === '\0' ? '\uFFFD' : { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;' }[c]!,
  );
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === "'" || ch === '"') out += '\\' + ch;
    else if (ch === '<' || ch === '>' || ch === '&' || ch === '=')
      out += '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
    else if (code < 0x20) out += '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function indexInto(item: GoValue, index: GoValue): GoValue {
  if (item === null || item === undefined) throw new Error('index of untyped nil');
  if (isMap(item)) {
    if (typeof index !== 'string') throw new Error(`value has type ${typeName(index)}; should be string`);
    return Object.prototype.hasOwnProperty.call(item, index) ? item[index] : null;
  }
  if (typeof index !== 'number') throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  if (Array.isArray(item)) {
    if (index < 0 || index >= item.length) throw new Error(`index out of range: ${index}`);
    return item[index];
  }
  if (typeof item === 'string') {
    const bytes = Buffer.from(item, 'utf8');
    if (index < 0 || index >= bytes.length) throw new Error(`index out of range: ${index}`);
    return bytes[index]!;
  }
  throw new Error(`can't index item of type ${typeName(item)}`);
}

function f(params: GoFunc['params'], call: GoFunc['call'], variadic?: GoFunc['variadic']): GoFunc {
  return variadic ? { params, call, variadic } : { params, call };
}

export const builtins: FuncMap = {
  and: f([], () => null, 'value'),
  or: f([], () => null, 'value'),
  not: f(['value'], (v) => !isTrue(v)),
  len: f(['value'], (v) => {
    if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
    if (Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    if (v === null || v === undefined) throw new Error('len of nil pointer');
    throw new Error(`len of type ${typeName(v)}`);
  }),
  index: f(
    ['value'],
    (item, ...indexes) => indexes.reduce<GoValue>((v, i) => indexInto(v, i), item),
    'value',
  ),
  slice: f(
    ['value'],
    (item, ...indexes) => {
      const nums = indexes.map((i) => {
        if (typeof i !== 'number') throw new Error(`cannot index slice/array with type ${typeName(i)}`);
        return i;
      });
      if (typeof item === 'string') {
        const bytes = Buffer.from(item, 'utf8');
        if (nums.length > 2) throw new Error('cannot 3-index slice a string');
        const [lo = 0, hi = bytes.length] = nums;
        if (lo < 0 || hi < lo || hi > bytes.length) throw new Error(`index out of range: ${hi}`);
        return bytes.subarray(lo, hi).toString('utf8');
      }
      if (Array.isArray(item)) {
        const [lo = 0, hi = item.length] = nums;
        if (lo < 0 || hi < lo || hi > item.length) throw new Error(`index out of range: ${hi}`);
        return item.slice(lo, hi);
      }
      throw new Error(`can't slice item of type ${typeName(item)}`);
    },
    'value',
  ),
  eq: f(['value'], (a, ...rest) => eq(a, ...rest), 'value'),
  ne: f(['value', 'value'], (a, b) => !eq(a, b)),
  lt: f(['value', 'value'], (a, b) => lessThan(a, b)),
  le: f(['value', 'value'], (a, b) => lessThan(a, b) || eq(a, b)),
  gt: f(['value', 'value'], (a, b) => !lessThan(a, b) && !eq(a, b)),
  ge: f(['value', 'value'], (a, b) => !lessThan(a, b)),
  print: f([], (...args) => sprint(args), 'any'),
  println: f([], (...args) => sprintln(args), 'any'),
  printf: f(['string'], (format, ...args) => sprintf(format as string, args), 'any'),
  html: f([], (...args) => htmlEscape(evalArgs(args)), 'any'),
  js: f([], (...args) => jsEscape(evalArgs(args)), 'any'),
  urlquery: f([], (...args) => queryEscape(evalArgs(args)), 'any'),
};
