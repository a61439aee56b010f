/**
 * Brute force and what may follow it. A burst is `threshold` failed logins within
 * `window_ms`, counted separately per user and per source IP (one attacker trying
 * many users, or many attackers one user). A success for a user or from an IP that
 * is in a burst right then is a possible account takeover.
 */
import type { Detection } from '../detection.js';
import { BoundedKeys } from './bounded_keys.js';
import { EventWindow } from './event_window.js';

export interface FailedLoginOptions {
  /** Failed logins that make a burst. Default 5. */
  threshold: number;
  /** The sliding window. Default 60 000 (1 min). */
  windowMs: number;
  /** Users plus IPs tracked at most; the least recently seen are forgotten first. */
  maxKeys: number;
}

export const defaultFailedLoginOptions: FailedLoginOptions = {
  threshold: 5,
  windowMs: 60_000,
  maxKeys: 10_000,
};

export class FailedLoginTracker {
  private readonly windows: BoundedKeys<EventWindow>;

  constructor(private readonly options: FailedLoginOptions) {
    this.windows = new BoundedKeys(options.maxKeys);
  }

  get trackedKeys(): number {
    return this.windows.size;
  }

  get evictedKeys(): number {
    return this.windows.evicted;
  }

  failure(user: string | undefined, ip: string | undefined, nowMs: number): Detection[] {
    const found: Detection[] = [];
    for (const [kind, value] of [
      ['user', user],
      ['ip', ip],
    ] as const) {
      if (value === undefined) continue;
      const window = this.windows.getOrCreate(`${kind}\u0000${value}`, () => this.newWindow());
      // One detection per burst: again only once a whole window has passed since the last.
      if (window.record(nowMs) && nowMs - window.lastAlertMs > this.options.windowMs) {
        window.lastAlertMs = nowMs;
        found.push({
          type: 'failed_login_burst',
          severity: 'high',
          reason: `${window.count(nowMs)} failed logins for ${kind} ${value} within ${this.options.windowMs / 1000}s`,
        });
      }
    }
    return found;
  }

  success(user: string | undefined, ip: string | undefined, nowMs: number): Detection[] {
    const burstOf: string[] = [];
    for (const [kind, value] of [
      ['user', user],
      ['ip', ip],
    ] as const) {
      if (value === undefined) continue;
      const key = `${kind}\u0000${value}`;
      const window = this.windows.get(key);
      if (window !== undefined && window.isBurst(nowMs)) {
        burstOf.push(`${kind} ${value} (${window.count(nowMs)} failures)`);
        this.windows.delete(key); // the burst ended in a success: start afresh
      }
    }
    if (burstOf.length === 0) return [];
    return [
      {
        type: 'account_takeover',
        severity: 'critical',
        reason: `successful login${user === undefined ? '' : ` for ${user}`} right after a failed-login burst of ${burstOf.join(' and ')}`,
      },
    ];
  }

  private newWindow(): EventWindow {
    return new EventWindow(this.options.threshold, this.options.windowMs);
  }
}
