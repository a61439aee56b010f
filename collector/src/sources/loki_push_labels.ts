/**
 * Parses a stream's label set as pushed in protobuf (`{app="web", env="prod"}`),
 * accepting what Promtail's receiver accepts (PromQL's ParseMetric): an
 * optional metric name before the braces (it becomes `__name__`), values in
 * double quotes, single quotes or backticks, Go escapes in the quoted ones,
 * spaces anywhere and a trailing comma. Throws with the position on bad input.
 */
export function parseLabelSet(text: string): Record<string, string> {
  const p = new LabelParser(text);
  return p.parse();
}

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_]/;
const METRIC_CHAR = /[a-zA-Z0-9_:]/;

class LabelParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Record<string, string> {
    const labels: Record<string, string> = {};
    this.skipSpace();
    if (this.s[this.i] !== '{') {
      const start = this.i;
      while (this.i < this.s.length && METRIC_CHAR.test(this.s[this.i]!)) this.i++;
      if (this.i === start) this.fail('expected "{" or a metric name');
      labels['__name__'] = this.s.slice(start, this.i);
      this.skipSpace();
      if (this.i === this.s.length) return labels;
    }
    this.expect('{');
    this.skipSpace();
    while (this.s[this.i] !== '}') {
      const name = this.name();
      this.skipSpace();
      this.expect('=');
      this.skipSpace();
      if (name in labels) this.fail(`duplicate label name "${name}"`);
      labels[name] = this.quoted();
      this.skipSpace();
      if (this.s[this.i] === ',') {
        this.i++;
        this.skipSpace();
      } else if (this.s[this.i] !== '}') {
        this.fail('expected "," or "}"');
      }
    }
    this.i++;
    this.skipSpace();
    if (this.i !== this.s.length) this.fail('unexpected text after "}"');
    return labels;
  }

  private name(): string {
    const start = this.i;
    if (!NAME_START.test(this.s[this.i] ?? '')) this.fail('expected a label name');
    while (this.i < this.s.length && NAME_CHAR.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  private quoted(): string {
    const quote = this.s[this.i];
    if (quote !== '"' && quote !== "'" && quote !== '`') this.fail('expected a quoted label value');
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail('unterminated quoted string');
      this.i++;
      if (c === quote) return out;
      if (c !== '\\' || quote === '`') {
        out += c;
        continue;
      }
      out += this.escape(quote!);
    }
  }

  /** Go string escapes (strconv.Unquote). */
  private escape(quote: string): string {
    const c = this.s[this.i++];
    switch (c) {
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'v':
        return '\v';
      case '\\':
        return '\\';
      case 'x':
        return this.hex(2);
      case 'u':
        return this.hex(4);
      case 'U':
        return this.hex(8);
    }
    if (c === quote) return quote;
    if (c !== undefined && c >= '0' && c <= '7') {
      const digits = this.s.slice(this.i - 1, this.i + 2);
      if (!/^[0-7]{3}$/.test(digits)) this.fail('invalid octal escape');
      this.i += 2;
      return String.fromCharCode(parseInt(digits, 8));
    }
    return this.fail(`unknown escape sequence "\\${c ?? ''}"`);
  }

  private hex(n: number): string {
    const digits = this.s.slice(this.i, this.i + n);
    if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) this.fail('invalid hex escape');
    this.i += n;
    return String.fromCodePoint(parseInt(digits, 16));
  }

  private expect(c: string): void {
    if (this.s[this.i] !== c) this.fail(`expected "${c}"`);
    this.i++;
  }

  private skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private fail(message: string): never {
    throw new Error(`parse error at char ${this.i + 1}: ${message} in ${JSON.stringify(this.s)}`);
  }
}
