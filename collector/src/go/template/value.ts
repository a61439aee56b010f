/**
 * How Go values look inside the template engine, and how fmt's `%v` prints them.
 *   string, boolean         Go string, bool
 *   number                  Go int (always integral)
 *   GoFloat                 Go float64 (kept apart: `1.0` prints `1`, `1e6` prints `1e+06`)
 *   null                    nil
 *   undefined               Go's "invalid value": a missing map key; prints `<no value>`
 *   GoValue[]               a slice; plain objects are map[string]interface{}
 */

export class GoFloat {
  constructor(readonly value: number) {}
}

export type GoValue =
  string | number | boolean | null | undefined | GoFloat | GoValue[] | { [key: string]: GoValue };

export type GoMap = { [key: string]: GoValue };

/** An error while executing a template (Go reports these and writes nothing more). */
export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

export function isMap(v: GoValue): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoFloat);
}

/** Go's type name, for error messages and `%!d(string=x)`. */
export function typeName(v: GoValue): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoFloat) return 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** Go's template truth: false, 0, nil, empty string/slice/map are false. */
export function isTrue(v: GoValue): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'boolean':
      return v;
  }
  if (v instanceof GoFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v).length > 0;
}

/** Splits a finite non-zero float into shortest (or `precision`) significant digits and exponent. */
export function floatDigits(f: number, precision?: number): { digits: string; exp: number } {
  const text = (
    precision === undefined ? Math.abs(f).toExponential() : Math.abs(f).toExponential(precision - 1)
  ).split('e');
  return { digits: text[0]!.replace('.', ''), exp: Number(text[1]) };
}

function expSuffix(exp: number, upper = false): string {
  const abs = Math.abs(exp);
  return `${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/** strconv.FormatFloat(f, 'g', precision ?? -1, 64): Go's %v and %g. */
export function formatFloatG(f: number, precision?: number, upper = false): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const sign = f < 0 ? '-' : '';
  const parts = floatDigits(f, precision === 0 ? 1 : precision);
  const exp = parts.exp;
  const digits = parts.digits.replace(/0+$/, '') || '0';
  let eprec = precision === undefined ? 6 : precision === 0 ? 1 : precision;
  if (precision !== undefined && eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  if (exp < -4 || exp >= eprec) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return sign + mantissa + expSuffix(exp, upper);
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** strconv.FormatFloat(f, 'e', precision, 64). */
export function formatFloatE(f: number, precision: number, upper = false): string {
  if (!Number.isFinite(f)) return formatFloatG(f);
  const [mantissa, exp] = f.toExponential(precision).split('e') as [string, string];
  return mantissa + expSuffix(Number(exp), upper);
}

/** fmt's `%v` of any value, as text/template prints an action's result. */
export function printValue(v: GoValue): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
      return String(v);
  }
  if (v instanceof GoFloat) return formatFloatG(v.value);
  if (Array.isArray(v))
    return `[${v.map((e) => (e === undefined || e === null ? '<nil>' : printValue(e))).join(' ')}]`;
  const keys = Object.keys(v).sort();
  return `map[${keys.map((k) => `${k}:${v[k] === null || v[k] === undefined ? '<nil>' : printValue(v[k])}`).join(' ')}]`;
}
