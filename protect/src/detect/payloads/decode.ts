/**
 * Undoes the encodings attackers layer to slip past filters, so rules are written
 * once against plain text: percent-encoding (repeatedly: `%252e` is `%2e` is `.`),
 * `+` for space, IIS `%u003c`, overlong UTF-8 slashes and dots, HTML entities,
 * JavaScript `\x3c` / `\u003c` escapes, SQL inline comments used as spaces, case.
 */
const maxRounds = 4;

const overlong: [RegExp, string][] = [
  [/%c0%ae|%e0%80%ae|%c0%2e/gi, '.'],
  [/%c0%af|%e0%80%af|%c0%2f|%c1%9c/gi, '/'],
  [/%c1%1c|%c0%5c/gi, '\\'],
];

/** Characters IIS and some frameworks fold to `/`, `\\` and `.`: division slash, fullwidth forms. */
const lookalikes: [RegExp, string][] = [
  [/[\u2215\u2044\uff0f]/g, '/'],
  [/[\uff3c\u2216]/g, '\\'],
  [/[\uff0e\u2024]/g, '.'],
];

const namedEntities: Record<string, string> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  sol: '/',
  colon: ':',
  lpar: '(',
  rpar: ')',
  tab: '\t',
  newline: '\n',
  semi: ';',
  num: '#',
};

function percentDecodeOnce(text: string): string {
  let out = text;
  for (const [pattern, replacement] of overlong) out = out.replace(pattern, replacement);
  out = out.replace(/%u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  try {
    return decodeURIComponent(out);
  } catch {
    // Malformed sequences (lone `%`, invalid UTF-8): decode byte by byte.
    return out.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (match, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : match;
    }
    return namedEntities[body.toLowerCase()] ?? match;
  });
}

function decodeEscapes(text: string): string {
  return text
    .replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** `plusIsSpace`: query strings and form bodies; not paths, where `+` is a plus. */
export function decodeForInspection(raw: string, plusIsSpace: boolean): string {
  let text = plusIsSpace ? raw.replace(/\+/g, ' ') : raw;
  for (let round = 0; round < maxRounds; round++) {
    const next = decodeEscapes(decodeEntities(text.includes('%') ? percentDecodeOnce(text) : text));
    if (next === text) break;
    text = next;
  }
  for (const [pattern, replacement] of lookalikes) text = text.replace(pattern, replacement);
  return text
    .toLowerCase()
    .replace(/\/\*.*?\*\//g, ' ') // un/**/ion sel/**/ect
    .replace(/[\t\r\f\v]+/g, ' '); // newlines stay: a shell command separator
}
