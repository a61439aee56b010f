/**
 * A logfmt decoder with go-logfmt's rules (Promtail's logfmt stage uses it):
 *   - each input line is a record; pairs are `key=value`, `key="quoted value"`,
 *     or a bare `key` (value "");
 *   - keys and unquoted values end at a space or control character; a `"` in a key,
 *     or `=`/`"` inside an unquoted value, is a syntax error;
 *   - quoted values take JSON escapes (`\"`, `\\`, `\n`, `\u00e9`, and `\'`).
 * Pairs found before a syntax error have already been reported when it is returned,
 * as go-logfmt's scanner does.
 */

/** Calls `pair` for every key/value; returns a syntax error message, or undefined. */
export function decodeLogfmt(input: string, pair: (key: string, value: string) => void): string | undefined {
  let lineStart = 0;
  while (lineStart <= input.length) {
    let lineEnd = input.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = input.length;
    let end = lineEnd;
    if (end > lineStart && input.charCodeAt(end - 1) === 13) end--; // bufio.ScanLines drops a trailing \r
    const error = decodeRecord(input, lineStart, end, pair);
    if (error !== undefined) return error;
    lineStart = lineEnd + 1;
  }
  return undefined;
}

const SPACE = 0x20;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function decodeRecord(
  s: string,
  start: number,
  end: number,
  pair: (key: string, value: string) => void,
): string | undefined {
  let pos = start;
  for (;;) {
    while (pos < end && s.charCodeAt(pos) <= SPACE) pos++;
    if (pos >= end) return undefined;
    // key
    const keyStart = pos;
    let c = 0;
    while (pos < end) {
      c = s.charCodeAt(pos);
      if (c === EQUALS || c === QUOTE || c <= SPACE) break;
      pos++;
    }
    if (pos < end && c === QUOTE) return `logfmt syntax error at pos ${pos + 1}: unexpected '"'`;
    if (pos < end && c === EQUALS && pos === keyStart)
      return `logfmt syntax error at pos ${pos + 1}: unexpected '='`;
    const key = s.slice(keyStart, pos);
    if (pos >= end || c !== EQUALS) {
      pair(key, '');
      continue;
    }
    pos++; // past '='
    if (pos >= end || s.charCodeAt(pos) <= SPACE) {
      pair(key, '');
      continue;
    }
    if (s.charCodeAt(pos) !== QUOTE) {
      const valueStart = pos;
      while (pos < end) {
        c = s.charCodeAt(pos);
        if (c === EQUALS || c === QUOTE)
          return `logfmt syntax error at pos ${pos + 1}: unexpected '${String.fromCharCode(c)}'`;
        if (c <= SPACE) break;
        pos++;
      }
      pair(key, s.slice(valueStart, pos));
      continue;
    }
    // quoted value
    const quoteStart = pos;
    let escaped = false;
    let hasEscape = false;
    pos++;
    for (;;) {
      if (pos >= end) return `logfmt syntax error at pos ${end + 1}: unterminated quoted value`;
      c = s.charCodeAt(pos);
      if (escaped) escaped = false;
      else if (c === BACKSLASH) hasEscape = escaped = true;
      else if (c === QUOTE) break;
      pos++;
    }
    pos++; // past the closing quote
    if (!hasEscape) {
      pair(key, s.slice(quoteStart + 1, pos - 1));
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(s.slice(quoteStart, pos).replace(/\\'/g, "'"));
    } catch {
      return `logfmt syntax error at pos ${pos}: invalid quoted value`;
    }
    pair(key, value as string);
  }
}
