/**
 * RFC 3339 with nanoseconds, the hot path of the timestamp stage and the `ts`
 * printed by --dry-run. Hand-rolled on char codes: no generic layout walk, no Date.
 *
 * Parsing follows Go's time.Parse(time.RFC3339Nano, s) (and RFC3339, which Go
 * parses identically: a fraction after the seconds is accepted even when the
 * layout has none): `2006-01-02T15:04:05[.fraction](Z|±hh:mm)`, upper-case `T`
 * and `Z` only, at most 9 fraction digits kept (more are truncated, as Go does).
 */
import { NS_PER_SECOND, civilFromDays, daysInMonth, unixSecondsOf, SECONDS_PER_DAY } from './civil.js';

const DIGIT_0 = 48;

function digitsAt(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Parses an RFC 3339 timestamp to nanoseconds since the epoch, or undefined when
 * `s` is not one (the caller decides what a failure means).
 */
export function parseRFC3339Nano(s: string): bigint | undefined {
  if (s.length < 20) return undefined;
  if (
    s.charCodeAt(4) !== 45 || // -
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  const second = digitsAt(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (day > daysInMonth(month, year)) return undefined;

  let i = 19;
  let nanos = 0;
  if (s.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < s.length) {
      const d = s.charCodeAt(i) - DIGIT_0;
      if (d < 0 || d > 9) break;
      if (i - start < 9) nanos = nanos * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0) return undefined;
    for (let k = digits; k < 9; k++) nanos *= 10;
  }

  let offsetSeconds = 0;
  const rest = s.length - i;
  if (rest === 1 && s.charCodeAt(i) === 90 /* Z */) {
    // UTC: no offset.
  } else if (rest === 6 && s.charCodeAt(i + 3) === 58) {
    const sign = s.charCodeAt(i);
    const oh = digitsAt(s, i + 1, 2);
    const om = digitsAt(s, i + 4, 2);
    if ((sign !== 43 && sign !== 45) || oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetSeconds = (oh * 60 + om) * 60 * (sign === 45 ? -1 : 1);
  } else {
    return undefined;
  }
  const seconds = unixSecondsOf(year, month, day, hour, minute, second) - offsetSeconds;
  return BigInt(seconds) * NS_PER_SECOND + BigInt(nanos);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Formats nanoseconds since the epoch as Go's time.RFC3339Nano does: trailing
 * zeros of the fraction are trimmed and a whole second has no fraction at all
 * (`2024-01-01T00:00:00Z`, `2024-01-01T00:00:00.5Z`). `offsetSeconds` east of
 * UTC selects the printed zone; 0 prints `Z`.
 */
export function formatRFC3339Nano(ns: bigint, offsetSeconds = 0): string {
  let seconds = ns / NS_PER_SECOND;
  let nanos = ns % NS_PER_SECOND;
  if (nanos < 0n) {
    nanos += NS_PER_SECOND;
    seconds -= 1n;
  }
  const local = Number(seconds) + offsetSeconds;
  const days = Math.floor(local / SECONDS_PER_DAY);
  const secOfDay = local - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  let out = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(secOfDay / 3600), 2)}:${pad(
    Math.floor(secOfDay / 60) % 60,
    2,
  )}:${pad(secOfDay % 60, 2)}`;
  if (nanos !== 0n) out += '.' + pad(Number(nanos), 9).replace(/0+$/, '');
  if (offsetSeconds === 0) return out + 'Z';
  const abs = Math.abs(offsetSeconds);
  return `${out}${offsetSeconds < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor(abs / 60) % 60, 2)}`;
}
