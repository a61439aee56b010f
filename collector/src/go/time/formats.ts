/**
 * Promtail's `format` values for the timestamp stage: Go's named layouts, the
 * Unix epoch forms, and custom layouts (with Promtail's handling of a layout that
 * has no year). Each compiles once into `(value) => nanoseconds | undefined`.
 */
import { NS_PER_SECOND, unixSecondsOf } from './civil.js';
import { compileLayout, layoutHasYear, type WallTime } from './layout.js';
import { parseRFC3339Nano } from './rfc3339.js';
import { UTC, wallToUnixSeconds, type Zone } from './zone.js';

export type TimeParser = (value: string) => bigint | undefined;

/** Go's named layouts. Promtail 3.4 only knows ANSIC..RFC3339Nano by name; see NAMED_BY_PROMTAIL. */
export const GO_LAYOUTS: Readonly<Record<string, string>> = {
  Layout: "01/02 03:04:05PM '06 -0700",
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

/**
 * The names Promtail's convertDateLayout switches on. It parses them with
 * time.Parse, so `location` does not apply to them (a surprise we keep).
 */
const NAMED_BY_PROMTAIL = new Set([
  'ANSIC',
  'UnixDate',
  'RubyDate',
  'RFC822',
  'RFC822Z',
  'RFC850',
  'RFC1123',
  'RFC1123Z',
  'RFC3339',
  'RFC3339Nano',
]);

/** Go's strconv.ParseInt(s, 10, 64) as a bigint: optional sign, decimal digits, int64 range. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v > 9_223_372_036_854_775_807n || v < -9_223_372_036_854_775_808n) return undefined;
  return v;
}

/**
 * `Unix`: seconds, optionally with one `.` and a fraction. Promtail scales the
 * fraction through a float64 (`frac * 10^(9-len)`), so more than 9 digits are
 * truncated and a negative `-1.5` means -1s + 0.5s; we keep both.
 */
function parseUnix(s: string): bigint | undefined {
  const dot = s.indexOf('.');
  if (dot >= 0 && s.indexOf('.', dot + 1) < 0) {
    const sec = parseInt64(s.slice(0, dot));
    const fracText = s.slice(dot + 1);
    const frac = parseInt64(fracText);
    if (sec === undefined || frac === undefined) return undefined;
    const nanos = Math.trunc(Number(frac) * Math.pow(10, 9 - fracText.length));
    return sec * NS_PER_SECOND + BigInt(nanos);
  }
  const sec = parseInt64(s);
  return sec === undefined ? undefined : sec * NS_PER_SECOND;
}

function scaled(factor: bigint): TimeParser {
  return (s) => {
    const v = parseInt64(s);
    return v === undefined ? undefined : BigInt.asIntN(64, v * factor);
  };
}

function wallToNanos(wall: WallTime, zone: Zone): bigint {
  const wallSeconds = unixSecondsOf(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second);
  let unix: number;
  if (wall.offsetSeconds !== undefined) unix = wallSeconds - wall.offsetSeconds;
  // Go looks a zone abbreviation up in the location; when the location does not
  // use it, the wall time is kept as UTC (and so is every abbreviation but UTC
  // when there is no location: Go on a UTC machine).
  else if (wall.zoneName !== undefined)
    unix = wallSeconds - (zone.abbreviationOffset(wall.zoneName, wallSeconds) ?? 0);
  else unix = wallToUnixSeconds(wallSeconds, zone);
  return BigInt(unix) * NS_PER_SECOND + BigInt(wall.nanos);
}

/** A Go layout in a location, or undefined on mismatch. */
export function layoutParser(layout: string, zone: Zone = UTC): TimeParser {
  const parse = compileLayout(layout);
  return (s) => {
    const wall = parse(s);
    return typeof wall === 'string' ? undefined : wallToNanos(wall, zone);
  };
}

/**
 * Promtail's parseTimestampWithoutYear: the layout has no year, so the value is
 * placed in the current year, except around new year: a December value read in
 * January belongs to last year, a January value read in December to next year.
 * `nowYearMonth` comes from the injected clock (UTC).
 */
export function yearlessParser(layout: string, zone: Zone, now: () => bigint): TimeParser {
  const parse = compileLayout(layout);
  return (s) => {
    const wall = parse(s);
    if (typeof wall === 'string') return undefined;
    const nowDate = new Date(Number(now() / 1_000_000n));
    const nowYear = nowDate.getUTCFullYear();
    const nowMonth = nowDate.getUTCMonth() + 1;
    if (wall.month === 12 && nowMonth === 1) wall.year += nowYear - 1;
    else if (wall.month === 1 && nowMonth === 12) wall.year += nowYear + 1;
    else wall.year += nowYear;
    return wallToNanos(wall, zone);
  };
}

/** RFC 3339 through the hand-written fast path, falling back to Go's generic parse for odd inputs. */
function rfc3339Parser(layout: string): TimeParser {
  const generic = layoutParser(layout, UTC);
  return (s) => parseRFC3339Nano(s) ?? generic(s);
}

/**
 * Compiles a timestamp stage `format`: a Promtail name, a Unix form, or a Go
 * layout. `zone` applies to custom layouts only, as in Promtail.
 */
export function compileTimeFormat(format: string, zone: Zone | undefined, now: () => bigint): TimeParser {
  switch (format) {
    case 'RFC3339':
    case 'RFC3339Nano':
      return rfc3339Parser(GO_LAYOUTS[format]!);
    case 'Unix':
      return parseUnix;
    case 'UnixMs':
      return scaled(1_000_000n);
    case 'UnixUs':
      return scaled(1_000n);
    case 'UnixNs':
      return scaled(1n);
  }
  if (NAMED_BY_PROMTAIL.has(format)) return layoutParser(GO_LAYOUTS[format]!, UTC);
  // Go's other names (Kitchen, Stamp, DateTime, ...) are literal layouts to
  // Promtail and never match; we expand them, which no working config can notice.
  const layout = GO_LAYOUTS[format] ?? format;
  if (!layoutHasYear(layout)) return yearlessParser(layout, zone ?? UTC, now);
  return layoutParser(layout, zone ?? UTC);
}
