/**
 * Go reference-time layouts (`Mon Jan 2 15:04:05 -0700 MST 2006`), compiled once
 * into a list of chunks and parsed the way Go's time.Parse does: the same
 * tokenizer (nextStdChunk), the same leniencies (one-digit `15`/`4`/`5` fields,
 * a fraction after seconds even when the layout has none, runs of spaces) and the
 * same defaults (year 0, January, day 1 when the layout lacks them).
 */

import {
  compileChunks,
  isDigitAt,
  LONG_DAYS,
  LONG_MONTHS,
  SHORT_DAYS,
  SHORT_MONTHS,
  Std,
} from './layout_chunks.js';
import { daysInMonth, isLeapYear } from './civil.js';

/** The fields a layout read from a value; the caller turns them into an instant. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** Seconds east of UTC when the value carried a numeric offset or `Z`; undefined: use the location. */
  offsetSeconds: number | undefined;
  /** A zone abbreviation such as `MST` (Go: looked up in the location, else treated as UTC). */
  zoneName: string | undefined;
}

export type LayoutParser = (value: string) => WallTime | string;

/** Parses a fraction `.ddd` at the start of `value` (`n` chars including the separator) to nanoseconds. */
function fractionNanos(value: string, n: number): number {
  let nanos = 0;
  for (let i = 1; i < n && i <= 9; i++) nanos = nanos * 10 + (value.charCodeAt(i) - 48);
  for (let k = Math.min(n - 1, 9); k < 9; k++) nanos *= 10;
  return nanos;
}

/** Go's getnum: one or two digits (`fixed`: exactly two). Returns [value, consumed] or undefined. */
function getNum(value: string, fixed: boolean): [number, number] | undefined {
  if (!isDigitAt(value, 0)) return undefined;
  if (!isDigitAt(value, 1)) return fixed ? undefined : [value.charCodeAt(0) - 48, 1];
  return [(value.charCodeAt(0) - 48) * 10 + value.charCodeAt(1) - 48, 2];
}

function lookupName(names: string[], value: string): [number, number] | undefined {
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (value.length >= name.length && value.slice(0, name.length).toLowerCase() === name.toLowerCase()) {
      return [i, name.length];
    }
  }
  return undefined;
}

/** Go's skip: literal text must match, except that a space matches any run of spaces. */
function skipLiteral(value: string, literal: string): string | undefined {
  let v = 0;
  let l = 0;
  while (l < literal.length) {
    if (literal[l] === ' ') {
      if (v < value.length && value[v] !== ' ') return undefined;
      while (l < literal.length && literal[l] === ' ') l++;
      while (v < value.length && value[v] === ' ') v++;
      continue;
    }
    if (v >= value.length || value[v] !== literal[l]) return undefined;
    v++;
    l++;
  }
  return value.slice(v);
}

/** Go's parseTimeZone: how many chars of `value` look like a zone abbreviation (0: none). */
function timeZoneLength(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith('ChST') || value.startsWith('MeST')) return 4;
  if (value.startsWith('GMT')) {
    let n = 3;
    const sign = value[3];
    if (sign === '+' || sign === '-') {
      let j = 4;
      while (isDigitAt(value, j)) j++;
      const hours = Number(value.slice(4, j));
      if (j > 4 && hours <= 23 && !(value[4] === '0' && j > 5)) n = j;
    }
    return n;
  }
  if (value[3] === '+' || value[3] === '-') return 0;
  let upper = 0;
  while (upper < 6 && upper < value.length) {
    const c = value.charCodeAt(upper);
    if (c < 65 || c > 90) break;
    upper++;
  }
  switch (upper) {
    case 3:
      return 3;
    case 4:
      return value[3] === 'T' || value.startsWith('WITA') ? 4 : 0;
    case 5:
      return value[4] === 'T' ? 5 : 0;
    default:
      return 0;
  }
}

/** Parses a numeric zone offset element; returns [seconds east, consumed] or undefined. */
function parseOffset(std: Std, value: string): [number, number] | undefined {
  let hh: string;
  let mm = '00';
  let ss = '00';
  let consumed: number;
  switch (std) {
    case Std.NumColonTZ:
    case Std.ISO8601ColonTZ:
      if (value.length < 6 || value[3] !== ':') return undefined;
      [hh, mm, consumed] = [value.slice(1, 3), value.slice(4, 6), 6];
      break;
    case Std.NumShortTZ:
    case Std.ISO8601ShortTZ:
      if (value.length < 3) return undefined;
      [hh, consumed] = [value.slice(1, 3), 3];
      break;
    case Std.NumColonSecondsTZ:
    case Std.ISO8601ColonSecondsTZ:
      if (value.length < 9 || value[3] !== ':' || value[6] !== ':') return undefined;
      [hh, mm, ss, consumed] = [value.slice(1, 3), value.slice(4, 6), value.slice(7, 9), 9];
      break;
    case Std.NumSecondsTz:
    case Std.ISO8601SecondsTZ:
      if (value.length < 7) return undefined;
      [hh, mm, ss, consumed] = [value.slice(1, 3), value.slice(3, 5), value.slice(5, 7), 7];
      break;
    default:
      if (value.length < 5) return undefined;
      [hh, mm, consumed] = [value.slice(1, 3), value.slice(3, 5), 5];
  }
  const h = getNum(hh, true);
  const m = getNum(mm, true);
  const s = getNum(ss, true);
  if (!h || !m || !s) return undefined;
  const sign = value[0];
  if (sign !== '+' && sign !== '-') return undefined;
  const offset = (h[0] * 60 + m[0]) * 60 + s[0];
  return [sign === '-' ? -offset : offset, consumed];
}

/** True when the layout names a year (`2006` or `06`), which Promtail checks the same way. */
export function layoutHasYear(layout: string): boolean {
  return layout.includes('06');
}

/** Compiles a Go layout into a parser of values. */
export function compileLayout(layout: string): LayoutParser {
  const chunks = compileChunks(layout);
  return (input) => {
    let value = input;
    let year = 0;
    let month = -1;
    let day = -1;
    let yday = -1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let nanos = 0;
    let pm = false;
    let am = false;
    let offsetSeconds: number | undefined;
    let zoneName: string | undefined;
    for (let ci = 0; ci < chunks.length; ci++) {
      const chunk = chunks[ci]!;
      const bad = `cannot parse "${value}" as "${chunk.text}"`;
      switch (chunk.std) {
        case Std.Literal: {
          const rest = skipLiteral(value, chunk.text);
          if (rest === undefined) return bad;
          value = rest;
          break;
        }
        case Std.Year: {
          if (value.length < 2 || !isDigitAt(value, 0) || !isDigitAt(value, 1)) return bad;
          const y = Number(value.slice(0, 2));
          year = y >= 69 ? 1900 + y : 2000 + y;
          value = value.slice(2);
          break;
        }
        case Std.LongYear:
          if (value.length < 4 || ![0, 1, 2, 3].every((k) => isDigitAt(value, k))) return bad;
          year = Number(value.slice(0, 4));
          value = value.slice(4);
          break;
        case Std.Month:
        case Std.LongMonth: {
          const found = lookupName(chunk.std === Std.Month ? SHORT_MONTHS : LONG_MONTHS, value);
          if (!found) return bad;
          month = found[0] + 1;
          value = value.slice(found[1]);
          break;
        }
        case Std.NumMonth:
        case Std.ZeroMonth: {
          const n = getNum(value, chunk.std === Std.ZeroMonth);
          if (!n || n[0] < 1 || n[0] > 12) return n ? 'month out of range' : bad;
          month = n[0];
          value = value.slice(n[1]);
          break;
        }
        case Std.WeekDay:
        case Std.LongWeekDay: {
          const found = lookupName(chunk.std === Std.WeekDay ? SHORT_DAYS : LONG_DAYS, value);
          if (!found) return bad;
          value = value.slice(found[1]);
          break;
        }
        case Std.Day:
        case Std.UnderDay:
        case Std.ZeroDay: {
          if (chunk.std === Std.UnderDay && value[0] === ' ') value = value.slice(1);
          const n = getNum(value, chunk.std === Std.ZeroDay);
          if (!n) return bad;
          day = n[0];
          value = value.slice(n[1]);
          break;
        }
        case Std.UnderYearDay:
        case Std.ZeroYearDay: {
          let k = 0;
          if (chunk.std === Std.UnderYearDay) while (k < 2 && value[k] === ' ') k++;
          let j = k;
          while (j < 3 && isDigitAt(value, j)) j++;
          if (j === k || (chunk.std === Std.ZeroYearDay && j !== 3)) return bad;
          yday = Number(value.slice(k, j));
          if (yday < 1 || yday > 366) return 'day-of-year out of range';
          value = value.slice(j);
          break;
        }
        case Std.Hour: {
          const n = getNum(value, false);
          if (!n || n[0] > 23) return n ? 'hour out of range' : bad;
          hour = n[0];
          value = value.slice(n[1]);
          break;
        }
        case Std.Hour12:
        case Std.ZeroHour12: {
          const n = getNum(value, chunk.std === Std.ZeroHour12);
          if (!n || n[0] > 12) return n ? 'hour out of range' : bad;
          hour = n[0];
          value = value.slice(n[1]);
          break;
        }
        case Std.Minute:
        case Std.ZeroMinute: {
          const n = getNum(value, chunk.std === Std.ZeroMinute);
          if (!n || n[0] > 59) return n ? 'minute out of range' : bad;
          minute = n[0];
          value = value.slice(n[1]);
          break;
        }
        case Std.Second:
        case Std.ZeroSecond: {
          const n = getNum(value, chunk.std === Std.ZeroSecond);
          if (!n || n[0] > 59) return n ? 'second out of range' : bad;
          second = n[0];
          value = value.slice(n[1]);
          // A fraction in the value that the layout does not spell out is still read (Go does this).
          const next = chunks[ci + 1];
          const layoutHasFraction =
            next !== undefined && (next.std === Std.FracSecond0 || next.std === Std.FracSecond9);
          if (
            !layoutHasFraction &&
            value.length >= 2 &&
            (value[0] === '.' || value[0] === ',') &&
            isDigitAt(value, 1)
          ) {
            let k = 2;
            while (isDigitAt(value, k)) k++;
            nanos = fractionNanos(value, k);
            value = value.slice(k);
          }
          break;
        }
        case Std.PM:
        case Std.Lowerpm: {
          if (value.length < 2) return bad;
          const p = value.slice(0, 2);
          const [pmText, amText] = chunk.std === Std.PM ? ['PM', 'AM'] : ['pm', 'am'];
          if (p === pmText) pm = true;
          else if (p === amText) am = true;
          else return bad;
          value = value.slice(2);
          break;
        }
        case Std.ISO8601TZ:
        case Std.ISO8601SecondsTZ:
        case Std.ISO8601ShortTZ:
        case Std.ISO8601ColonTZ:
        case Std.ISO8601ColonSecondsTZ:
        case Std.NumTZ:
        case Std.NumSecondsTz:
        case Std.NumShortTZ:
        case Std.NumColonTZ:
        case Std.NumColonSecondsTZ: {
          // An ISO 8601 element also takes `Z` for UTC; otherwise it is a numeric offset.
          if (chunk.std >= Std.ISO8601TZ && chunk.std <= Std.ISO8601ColonSecondsTZ && value[0] === 'Z') {
            offsetSeconds = 0;
            value = value.slice(1);
            break;
          }
          const parsed = parseOffset(chunk.std, value);
          if (!parsed) return bad;
          offsetSeconds = parsed[0];
          value = value.slice(parsed[1]);
          break;
        }
        case Std.TZ: {
          if (value.startsWith('UTC')) {
            offsetSeconds = 0;
            value = value.slice(3);
            break;
          }
          const n = timeZoneLength(value);
          if (n === 0) return bad;
          zoneName = value.slice(0, n);
          value = value.slice(n);
          break;
        }
        case Std.FracSecond0: {
          const n = 1 + chunk.digits;
          if (value.length < n || (value[0] !== '.' && value[0] !== ',')) return bad;
          for (let k = 1; k < n; k++) if (!isDigitAt(value, k)) return bad;
          nanos = fractionNanos(value, n);
          value = value.slice(n);
          break;
        }
        case Std.FracSecond9: {
          if (value.length < 2 || (value[0] !== '.' && value[0] !== ',') || !isDigitAt(value, 1)) break;
          let k = 1;
          while (isDigitAt(value, k)) k++;
          nanos = fractionNanos(value, k);
          value = value.slice(k);
          break;
        }
      }
    }
    if (value.length > 0) return `extra text: "${value}"`;
    if (pm && hour < 12) hour += 12;
    else if (am && hour === 12) hour = 0;
    if (yday >= 0) {
      if (yday > (isLeapYear(year) ? 366 : 365)) return 'day-of-year out of range';
      // Day `yday` of the year as month/day: count from January 1.
      month = 1;
      day = yday;
    } else {
      if (month < 0) month = 1;
      if (day < 0) day = 1;
      if (day < 1 || day > daysInMonth(month, year)) return 'day out of range';
    }
    return { year, month, day, hour, minute, second, nanos, offsetSeconds, zoneName };
  };
}
