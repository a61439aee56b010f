/**
 * Promtail's retry schedule (dskit backoff): the wait doubles from
 * `min_period` up to `max_period`, each wait drawn at random in
 * [delay/2, delay) ("full jitter" halved, so a fleet restarting together
 * spreads out); `max_retries` 0 means retry forever.
 */
export interface BackoffConfig {
  minPeriodMs: number;
  maxPeriodMs: number;
  maxRetries: number;
}

export class Backoff {
  #retries = 0;
  #next: number;

  constructor(
    private readonly config: BackoffConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.#next = config.minPeriodMs;
  }

  /** How many waits have been handed out. */
  get retries(): number {
    return this.#retries;
  }

  /** True while another attempt is allowed. */
  ongoing(): boolean {
    return this.config.maxRetries === 0 || this.#retries < this.config.maxRetries;
  }

  /**
   * The wait before the next attempt. A server's Retry-After (ms) is honoured
   * when longer, up to `max_period` so a bad header cannot stall the client
   * for hours.
   */
  nextDelay(retryAfterMs?: number): number {
    this.#retries++;
    const base = this.#next;
    this.#next = Math.min(base * 2, this.config.maxPeriodMs);
    const jittered = base / 2 + this.random() * (base / 2);
    const wait = retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
    return Math.min(wait, this.config.maxPeriodMs);
  }
}

/**
 * Retry-After as sent with 429/503: delay-seconds or an HTTP date
 * (RFC 9110 §10.2.3). Returns milliseconds, or undefined when absent/invalid.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
