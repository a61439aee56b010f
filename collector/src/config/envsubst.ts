/**
 * `-config.expand-env=true`: expands `${VAR}` in the config text before YAML
 * parsing, as Promtail does with drone/envsubst. Its rules, matched here:
 *   - `${VAR}`: the value, or empty when unset. A bare `$VAR` is left as it is.
 *   - `${VAR:-default}`, `${VAR:=default}`, `${VAR=default}`: the default when
 *     VAR is unset OR empty (envsubst cannot tell them apart); the default may
 *     itself contain `${OTHER}`.
 *   - `${VAR:+alt}`: alt when VAR is non-empty, else empty.
 *   - `$$` is a literal `$` (so `$${VAR}` stays `${VAR}`); `\\` becomes `\` and
 *     `\/` becomes `/`. Surprising but Promtail's: with expand-env on, every
 *     backslash in a regex must be doubled.
 *   - `${VAR-default}` does NOT give a default: `-` is part of the name, so it is
 *     the (unset) variable `VAR-default`, i.e. empty. Same as Promtail.
 * Other bash forms (`${VAR:1:2}`, `${VAR^^}`, ...) are rejected with a message
 * rather than half-supported.
 */
export class EnvSubstError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'EnvSubstError';
  }
}

const NAME_CHAR = /[\p{L}\p{N}_-]/u;

export function expandEnv(text: string, env: Record<string, string | undefined>): string {
  const parser = new Expander(text, env);
  return parser.text(false);
}

class Expander {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly env: Record<string, string | undefined>,
  ) {}

  /** Reads text up to the end (top level) or to the `}` closing a default (nested). */
  text(nested: boolean): string {
    let out = '';
    const src = this.src;
    while (this.pos < src.length) {
      const c = src[this.pos] as string;
      const next = src[this.pos + 1];
      if (nested && c === '}') return out;
      if (c === '$' && next === '{') {
        out += this.substitution();
      } else if (!nested && c === '$' && next === '$') {
        out += '$';
        this.pos += 2;
      } else if (!nested && c === '\\' && (next === '\\' || next === '/')) {
        out += next;
        this.pos += 2;
      } else {
        out += c;
        this.pos += 1;
      }
    }
    if (nested) throw new EnvSubstError(this.pos, 'bad substitution: missing "}"');
    return out;
  }

  private substitution(): string {
    const start = this.pos;
    this.pos += 2;
    let name = '';
    while (this.pos < this.src.length && NAME_CHAR.test(this.src[this.pos] as string)) {
      name += this.src[this.pos];
      this.pos += 1;
    }
    if (name === '') throw new EnvSubstError(start, 'bad substitution: expected a variable name after "${"');
    const value = this.env[name] ?? '';
    const rest = this.src.slice(this.pos, this.pos + 2);
    if (rest.startsWith('}')) {
      this.pos += 1;
      return value;
    }
    let operator: string;
    if (rest === ':-' || rest === ':=' || rest === ':+') operator = rest;
    else if (rest.startsWith('=')) operator = '=';
    else {
      const lineEnd = this.src.indexOf('\n', this.pos);
      const end = this.src.indexOf('}', this.pos);
      if (end === -1 || (lineEnd !== -1 && lineEnd < end)) {
        throw new EnvSubstError(start, `bad substitution: missing "}" after "\${${name}"`);
      }
      const form = this.src.slice(start, end + 1);
      throw new EnvSubstError(
        start,
        `unsupported substitution ${JSON.stringify(form)}: use \${VAR} or \${VAR:-default}`,
      );
    }
    this.pos += operator.length;
    const argument = this.text(true);
    this.pos += 1; // the closing brace
    if (operator === ':+') return value === '' ? '' : argument;
    return value === '' ? argument : value;
  }
}
