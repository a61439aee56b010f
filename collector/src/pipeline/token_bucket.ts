/**
 * A token bucket like Go's rate.Limiter: holds up to `burst` tokens, refills
 * `rate` per second, starts full. Time comes from the caller (ns), so tests
 * drive it with a fixed clock.
 */
export class TokenBucket {
  #tokens: number;
  #last: bigint | undefined;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.#tokens = burst;
  }

  #refill(now: bigint): void {
    if (this.#last !== undefined && now > this.#last) {
      const seconds = Number(now - this.#last) / 1e9;
      this.#tokens = Math.min(this.burst, this.#tokens + seconds * this.rate);
    }
    if (this.#last === undefined || now > this.#last) this.#last = now;
  }

  /** Takes one token if there is one. */
  allow(now: bigint): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
