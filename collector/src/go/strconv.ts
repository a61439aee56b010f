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

const SIMPLE = /^[\x20-\x7e]*$/;
/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * Go's strconv.Quote: `"` and `\` escaped, \a \b \f \n \r \t \v by name, other
 * non-printable characters as \xNN, \uNNNN or \UNNNNNNNN, printable Unicode
 * kept; a lone surrogate becomes U+FFFD, as its UTF-8 encoding on the wire does.
 */
export function goQuote(value: string): string {
  if (SIMPLE.test(value)) {
    return value.includes('"') || value.includes('\\')
      ? '"' + value.replace(/["\\]/g, '\\$&') + '"'
      : '"' + value + '"';
  }
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else if (PRINTABLE.test(ch)) out += ch;
    else if (code < 0x80) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += '\\U' + code.toString(16).padStart(8, '0');
  }
  return out + '"';
}
