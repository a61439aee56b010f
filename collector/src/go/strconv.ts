/**
 * Go's number-to-text conversions that Promtail's output depends on, so values
 * print exactly as Promtail prints them.
 */

/** Expands a JS exponent form (`1.5e+21`, `1e-7`) into plain decimal digits. */
function expandExponent(text: string): string {
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, lead, rest = '', exp] = match;
  const digits = lead! + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (Object.is(f, -0)) return '-0';
  const text = String(f);
  return text.includes('e') ? expandExponent(text) : text;
}

/**
 * Promtail's getString: how an extracted value becomes text for the template,
 * timestamp and metrics stages. Numbers print in full (`1e21` as 21 digits),
 * booleans as `true`/`false`; anything else (objects, arrays, null) has no text
 * and yields undefined, which those stages treat as "cannot convert".
 */
export function extractedToString(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatFloatF(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}
