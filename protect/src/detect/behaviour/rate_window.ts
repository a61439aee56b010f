/**
 * Approximate count of events in a sliding window from two fixed windows (the
 * previous one weighted by how much of it still overlaps), as rate limiters do:
 * constant memory per key, however many thousand requests an IP sends.
 */
export class RateWindow {
  private windowStart: number;
  private current = 0;
  private previous = 0;
  lastAlertMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly windowMs: number,
    nowMs: number,
  ) {
    this.windowStart = nowMs;
  }

  /** Records one event; returns the estimated count within the last `windowMs`. */
  record(nowMs: number): number {
    const elapsedWindows = Math.floor((nowMs - this.windowStart) / this.windowMs);
    if (elapsedWindows >= 1) {
      this.previous = elapsedWindows === 1 ? this.current : 0;
      this.current = 0;
      this.windowStart += elapsedWindows * this.windowMs;
    }
    this.current++;
    const overlap = 1 - (nowMs - this.windowStart) / this.windowMs;
    return Math.round(this.current + this.previous * overlap);
  }
}
