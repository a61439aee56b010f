/**
 * "N events within W milliseconds" for one key, exactly: keeps only the times of the
 * last N events (a ring), so memory per key is fixed whatever the rate.
 */
export class EventWindow {
  private readonly times: number[];
  private next = 0;
  private filled = 0;
  /** When this key last raised a detection, to raise it once per window, not per event. */
  lastAlertMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly threshold: number,
    readonly windowMs: number,
  ) {
    this.times = new Array<number>(threshold).fill(0);
  }

  /** Records an event; returns true when the last `threshold` events all fall within the window. */
  record(nowMs: number): boolean {
    this.times[this.next] = nowMs;
    this.next = (this.next + 1) % this.threshold;
    if (this.filled < this.threshold) this.filled++;
    return this.isBurst(nowMs);
  }

  /** True when `threshold` events happened within the window ending now. */
  isBurst(nowMs: number): boolean {
    if (this.filled < this.threshold) return false;
    const oldest = this.times[this.next]!; // the ring's next slot holds the oldest time
    return nowMs - oldest <= this.windowMs;
  }

  /** Events within the window ending now (at most `threshold`). */
  count(nowMs: number): number {
    let n = 0;
    for (let i = 0; i < this.filled; i++) if (nowMs - this.times[i]! <= this.windowMs) n++;
    return n;
  }
}
