/**
 * Sprig's value conversions (its strval/strslice and spf13/cast's ToInt64/ToFloat64),
 * which decide what `add`, `join`, `default` and friends do with template values.
 */
import { sprint } from './fmt.js';
import { GoFloat, isMap, printValue, type GoValue } from './value.js';

/** sprig strval: strings as is, anything else as fmt's %v (`<nil>` for nil). */
export function strval(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '<nil>';
  return printValue(v);
}

/** sprig strslice: a list's non-nil elements as strings; a scalar becomes a one-element list. */
export function strslice(v: GoValue): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.filter((e) => e !== null && e !== undefined).map(strval);
  return [strval(v)];
}

/**
 * cast.ToInt64: numbers truncate, booleans are 1/0, strings parse with Go's base
 * prefixes (`0x1f`, `0o17`, `017`, after dropping a `.0` tail); anything that does not
 * parse is 0. So `add "08" 1` is 1: a leading zero means octal, and 8 is no octal digit.
 */
export function toInt64(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat) return Math.trunc(v.value);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return 0;
  let s = v.replace(/\.0*$/, '');
  const negative = s.startsWith('-');
  s = s.replace(/^[+-]/, '').replace(/_/g, '');
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[bB][01]+$/.test(s)) n = parseInt(s.slice(2), 2);
  else if (/^0[oO]?[0-7]+$/.test(s)) n = parseInt(s.replace(/^0[oO]?/, ''), 8);
  else if (/^(0|[1-9]\d*)$/.test(s)) n = Number(s);
  else return 0;
  return negative ? -n : n;
}

/** cast.ToFloat64: numbers, booleans, and strings that parse as floats; else 0. */
export function toFloat64(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) && v.trim() === v) {
    return Number(v);
  }
  return 0;
}

/** sprig empty: nil, false, 0, "", and empty lists or maps. */
export function isEmpty(v: GoValue): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.length === 0;
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'boolean') return !v;
  if (v instanceof GoFloat) return v.value === 0;
  if (Array.isArray(v)) return v.length === 0;
  return Object.keys(v).length === 0;
}

/** Go's encoding/json.Marshal: HTML-sensitive characters escaped, map keys sorted. */
export function goJson(v: GoValue, indent?: string): string {
  const plain = (x: GoValue): unknown => {
    if (x === undefined) return null;
    if (x instanceof GoFloat) return x.value;
    if (Array.isArray(x)) return x.map(plain);
    if (isMap(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) out[k] = plain(x[k]);
      return out;
    }
    return x;
  };
  return JSON.stringify(plain(v), null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** JSON text to template values: numbers become float64 as in Go's encoding/json. */
export function fromGoJson(text: string): GoValue {
  const convert = (x: unknown): GoValue => {
    if (typeof x === 'number') return new GoFloat(x);
    if (Array.isArray(x)) return x.map(convert);
    if (x !== null && typeof x === 'object') {
      const out: Record<string, GoValue> = {};
      for (const [k, val] of Object.entries(x)) out[k] = convert(val);
      return out;
    }
    return x as GoValue;
  };
  return convert(JSON.parse(text));
}

export { sprint };
