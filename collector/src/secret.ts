import { inspect } from 'node:util';

const REDACTED = '<secret>';

/**
 * A value that must never appear in logs, errors or printed config: client
 * passwords, bearer tokens, URLs with credentials. Every way JavaScript turns it
 * into text (template strings, JSON.stringify, console.log/util.inspect) prints
 * `<secret>`; only `reveal()` hands out the value, and only the code that sends
 * it (the Loki client's auth header) should call that.
 */
export class Secret {
  readonly #value: string;
  readonly #display: string;

  /** `display` is what to show instead; default `<secret>`. */
  constructor(value: string, display: string = REDACTED) {
    this.#value = value;
    this.#display = display;
  }

  /** A URL whose password (if any) is hidden when printed: `http://user:<secret>@loki:3100/...`. */
  static url(value: string): Secret {
    return new Secret(value, redactUrl(value));
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return this.#display;
  }

  toJSON(): string {
    return this.#display;
  }

  [inspect.custom](): string {
    return this.#display;
  }
}

/** Replaces the password part of a URL's userinfo; leaves other text alone. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, `$1:${REDACTED}@`);
}

/**
 * Config keys whose values are secrets. Diagnostics never quote the value found
 * at such a key (no `(got "...")`), whatever went wrong with it.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password',
  'bearer_token',
  'credentials',
  'client_secret',
  'api_token',
  'connection_string',
  'key',
  'url',
  'proxy_url',
]);
