/**
 * What a found secret becomes. `mask` keeps only the kind; `hash` keeps a keyed
 * fingerprint so one value can be followed across lines without being revealed
 * (an HMAC, not a plain hash: short secrets such as PINs cannot be brute-forced
 * back from it without the key).
 */
import { createHmac } from 'node:crypto';

export type RedactMode = 'mask' | 'hash' | 'drop_line';

export type Replace = (detector: string, secret: string) => string;

export function maskReplacement(): Replace {
  return (detector) => `[REDACTED:${detector}]`;
}

/** `[HASH:<detector>:<first 16 hex of HMAC-SHA256(key, secret)>]`. */
export function hashReplacement(key: string | Buffer): Replace {
  return (detector, secret) =>
    `[HASH:${detector}:${createHmac('sha256', key).update(secret).digest('hex').slice(0, 16)}]`;
}

/** True when `text` already holds a replacement, so later detectors leave it alone. */
export function isReplaced(text: string): boolean {
  return text.includes('[REDACTED:') || text.includes('[HASH:');
}
