/**
 * Too many requests from one IP: more than `threshold` within `window_ms`
 * (estimated, see rate_window.ts). One detection per IP per window.
 */
import type { Detection } from '../detection.js';
import { BoundedKeys } from './bounded_keys.js';
import { RateWindow } from './rate_window.js';

export interface RequestFloodOptions {
  /** Requests per window that make a flood. Default 600. */
  threshold: number;
  /** Default 60 000 (1 min). */
  windowMs: number;
  maxKeys: number;
}

export const defaultRequestFloodOptions: RequestFloodOptions = {
  threshold: 600,
  windowMs: 60_000,
  maxKeys: 10_000,
};

export class RequestFloodTracker {
  private readonly rates: BoundedKeys<RateWindow>;

  constructor(private readonly options: RequestFloodOptions) {
    this.rates = new BoundedKeys(options.maxKeys);
  }

  get trackedKeys(): number {
    return this.rates.size;
  }

  get evictedKeys(): number {
    return this.rates.evicted;
  }

  request(ip: string, nowMs: number): Detection[] {
    const rate = this.rates.getOrCreate(ip, () => new RateWindow(this.options.windowMs, nowMs));
    const count = rate.record(nowMs);
    if (count < this.options.threshold || nowMs - rate.lastAlertMs <= this.options.windowMs) return [];
    rate.lastAlertMs = nowMs;
    return [
      {
        type: 'request_flood',
        severity: 'medium',
        reason: `${count} requests from ${ip} within ${this.options.windowMs / 1000}s (threshold ${this.options.threshold})`,
      },
    ];
  }
}
