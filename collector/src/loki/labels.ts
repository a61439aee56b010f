/**
 * Loki's text form of a label set, `{a="x", b="y"}`: names sorted, values quoted
 * as Go's strconv.Quote does (Prometheus labels.Labels.String(), which Promtail
 * sends and Loki prints in its error messages).
 */
export function renderLabels(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort(compareBytes);
  let text = '{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (i > 0) text += ', ';
    text += name + '=' + goQuote(labels[name]!);
  }
  return text + '}';
}

/** Go sorts strings by bytes; for UTF-16 code units that is the same order except above U+FFFF, which label names never reach. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
