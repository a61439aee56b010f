/**
 * Loki's syntax.ParseLabels for the receiver: Prometheus' ParseMetric grammar
 * `{name="value", ...}` (values in "", '' or `` quotes, Go escapes), then
 * sorted and with empty values removed (Loki treats `a=""` as absent, so
 * `{a=""}` is an empty set). Duplicate names are kept, because Loki reports
 * them later ("has duplicate label name"). Error texts follow Prometheus'
 * parser (`1:5: parse error: ...`); the rarer ones are close, not verbatim.
 */
export type ParsedLabels = [name: string, value: string][];

export class LabelParseError extends Error {}

const IDENT_START = /[a-zA-Z_]/;
const IDENT = /[a-zA-Z0-9_:]/;

export function parseLabels(text: string): ParsedLabels {
  let pos = 0;
  const fail = (message: string, at = pos): never => {
    throw new LabelParseError(`1:${at + 1}: parse error: ${message}`);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const describe = (): string => {
    if (pos >= text.length) return 'end of input';
    const ch = text[pos]!;
    if (ch === '}') return '"}"';
    if (ch === ',') return '","';
    if (ch === '=') return '"="';
    if (ch === '"' || ch === "'" || ch === '`') return 'string';
    if (IDENT_START.test(ch)) return 'identifier';
    return `character inside braces: '${ch}'`;
  };

  skipSpace();
  if (pos >= text.length) fail('unexpected end of input');
  if (text[pos] !== '{') fail(`unexpected ${describe()}, expected "{"`);
  pos++;
  const labels: ParsedLabels = [];
  for (;;) {
    skipSpace();
    if (text[pos] === '}') {
      pos++;
      break;
    }
    const ch = text[pos];
    if (ch === undefined) fail('unexpected end of input inside braces');
    if (!IDENT_START.test(ch!)) {
      if (/["'`,=]/.test(ch!)) fail(`unexpected ${describe()} in label set, expected identifier or "}"`);
      fail(`unexpected character inside braces: '${ch}'`);
    }
    const start = pos;
    while (pos < text.length && IDENT.test(text[pos]!)) pos++;
    const name = text.slice(start, pos);
    skipSpace();
    if (pos < text.length && !/[=\s,}"'`]/.test(text[pos]!))
      fail(`unexpected character inside braces: '${text[pos]}'`);
    if (text[pos] !== '=') fail(`unexpected ${describe()} in label set, expected "="`);
    pos++;
    skipSpace();
    const quote = text[pos];
    if (quote !== '"' && quote !== "'" && quote !== '`')
      fail(`unexpected ${describe()} in label set, expected string`);
    const [value, end] = readString(text, pos, fail);
    pos = end;
    labels.push([name, value]);
    skipSpace();
    if (text[pos] === ',') {
      pos++;
      continue;
    }
    if (text[pos] !== '}') fail(`unexpected ${describe()} in label set, expected "," or "}"`);
  }
  skipSpace();
  if (pos < text.length) fail(`unexpected character after metric: '${text[pos]}'`);
  return labels.filter(([, value]) => value !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function readString(
  text: string,
  start: number,
  fail: (message: string, at?: number) => never,
): [string, number] {
  const quote = text[start]!;
  let pos = start + 1;
  let out = '';
  while (pos < text.length) {
    const ch = text[pos]!;
    if (ch === quote) return [out, pos + 1];
    if (ch === '\n' && quote !== '`') break;
    if (ch === '\\' && quote !== '`') {
      const [decoded, next] = readEscape(text, pos + 1, quote, fail);
      out += decoded;
      pos = next;
      continue;
    }
    out += ch;
    pos++;
  }
  return fail('unterminated quoted string', start);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

function readEscape(
  text: string,
  pos: number,
  quote: string,
  fail: (message: string, at?: number) => never,
): [string, number] {
  const ch = text[pos];
  if (ch === undefined) return fail('unterminated quoted string');
  if (ch === quote) return [quote, pos + 1];
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return [simple, pos + 1];
  const hexLength = ch === 'x' ? 2 : ch === 'u' ? 4 : ch === 'U' ? 8 : 0;
  if (hexLength > 0) {
    const digits = text.slice(pos + 1, pos + 1 + hexLength);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(digits)) return fail('invalid syntax', pos);
    return [String.fromCodePoint(parseInt(digits, 16)), pos + 1 + hexLength];
  }
  if (/[0-7]/.test(ch)) {
    const digits = text.slice(pos, pos + 3);
    if (!/^[0-7]{3}$/.test(digits)) return fail('invalid syntax', pos);
    return [String.fromCharCode(parseInt(digits, 8)), pos + 3];
  }
  return fail('unknown escape sequence', pos);
}
