/**
 * IANA time zones (Go's time.LoadLocation) backed by Intl, which carries the tz
 * database in Node. A Zone answers one question: the UTC offset at an instant.
 * Offsets are cached per quarter hour (zone transitions fall on such boundaries),
 * in a bounded map owned by the Zone, so a busy stage asks Intl rarely.
 */
import { daysFromCivil, SECONDS_PER_DAY } from './civil.js';

export interface Zone {
  readonly name: string;
  /** Seconds east of UTC in effect at `unixSeconds`. */
  offsetAt(unixSeconds: number): number;
  /**
   * The offset of an abbreviation this zone uses around `unixSeconds` (`CEST` in
   * Europe/Berlin), as Go's Location.lookupName finds it; undefined when unknown.
   */
  abbreviationOffset(abbreviation: string, unixSeconds: number): number | undefined;
}

export const UTC: Zone = {
  name: 'UTC',
  offsetAt: () => 0,
  abbreviationOffset: (abbreviation) => (abbreviation === 'UTC' ? 0 : undefined),
};

const HALF_YEAR_SECONDS = 182 * 86_400;

const CACHE_LIMIT = 4096;
const BUCKET_SECONDS = 900;

/**
 * Loads a zone by IANA name. `""` and `UTC` are UTC, `Local` is the machine's zone
 * (as Go). Throws an Error naming the zone when it is unknown.
 */
export function loadLocation(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  const timeZone = name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new Error(`unknown time zone ${name}`);
  }
  // Abbreviations differ by locale (en-US knows EST/PDT, en-GB knows CET/BST); ask both.
  const namers = ['en-US', 'en-GB'].map(
    (locale) => new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }),
  );
  const cache = new Map<number, number>();
  const compute = (unixSeconds: number): number => {
    const parts: Record<string, number> = {};
    for (const p of format.formatToParts(unixSeconds * 1000)) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    let year = parts.year!;
    // Intl prints years before 1 AD as era years; timestamps there are not worth exactness.
    if (!Number.isFinite(year)) year = 1970;
    const wall =
      daysFromCivil(year, parts.month!, parts.day!) * SECONDS_PER_DAY +
      parts.hour! * 3600 +
      parts.minute! * 60 +
      parts.second!;
    return wall - unixSeconds;
  };
  const abbreviationAt = (unixSeconds: number): string[] =>
    namers.map(
      (f) => f.formatToParts(unixSeconds * 1000).find((p) => p.type === 'timeZoneName')?.value ?? '',
    );
  return {
    name,
    abbreviationOffset(abbreviation, unixSeconds) {
      // The zone in effect first, then the other half of the year (Go accepts either).
      for (const t of [unixSeconds, unixSeconds - HALF_YEAR_SECONDS, unixSeconds + HALF_YEAR_SECONDS]) {
        if (abbreviationAt(t).includes(abbreviation)) return this.offsetAt(t);
      }
      return undefined;
    },
    offsetAt(unixSeconds) {
      const bucket = Math.floor(unixSeconds / BUCKET_SECONDS);
      let offset = cache.get(bucket);
      if (offset === undefined) {
        offset = compute(bucket * BUCKET_SECONDS);
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(bucket, offset);
      }
      return offset;
    },
  };
}

/**
 * The instant of a wall-clock time (given as seconds since the epoch, read as UTC)
 * in `zone`, resolved like Go's time.Date: guess the offset at the wall time, then
 * correct it when the guess lands on the other side of a transition.
 */
export function wallToUnixSeconds(wallSeconds: number, zone: Zone): number {
  const guess = zone.offsetAt(wallSeconds);
  if (guess === 0) return wallSeconds;
  const utc = wallSeconds - guess;
  const actual = zone.offsetAt(utc);
  return wallSeconds - actual;
}
