/**
 * Go time semantics the timestamp stage relies on: RFC 3339 round trips, Go
 * layouts and their leniencies, Promtail's named formats and zones.
 */
import { describe, expect, it } from 'vitest';
import {
  compileLayout,
  compileTimeFormat,
  formatRFC3339Nano,
  loadLocation,
  parseRFC3339Nano,
} from '../src/go/time.js';

const JAN_2024 = 1_704_067_200_000_000_000n;
const now = () => JAN_2024;
const parseAs = (format: string, value: string, location?: string) => {
  const ns = compileTimeFormat(
    format,
    location === undefined ? undefined : loadLocation(location),
    now,
  )(value);
  return ns === undefined ? undefined : formatRFC3339Nano(ns);
};

describe('RFC 3339', () => {
  it('round-trips nanoseconds and trims trailing zeros as Go does', () => {
    for (const s of ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.1Z', '2024-01-02T03:04:05.123456789Z']) {
      expect(formatRFC3339Nano(parseRFC3339Nano(s)!)).toBe(s);
    }
    expect(formatRFC3339Nano(parseRFC3339Nano('2024-01-02T03:04:05.120000000Z')!)).toBe(
      '2024-01-02T03:04:05.12Z',
    );
  });

  it('applies offsets and formats instants before 1970', () => {
    expect(parseRFC3339Nano('2024-01-02T03:04:05+02:00')).toBe(parseRFC3339Nano('2024-01-02T01:04:05Z'));
    expect(formatRFC3339Nano(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(formatRFC3339Nano(0n, 3600)).toBe('1970-01-01T01:00:00+01:00');
  });

  it('refuses what Go refuses', () => {
    for (const bad of [
      '2024-02-30T00:00:00Z',
      '2024-01-02 03:04:05Z',
      '2024-01-02T03:04:05',
      '2024-01-02T03:04:05.Z',
      '2024-01-02t03:04:05z',
    ]) {
      expect(parseRFC3339Nano(bad), bad).toBeUndefined();
    }
  });

  it('keeps 9 fraction digits and truncates the rest', () => {
    expect(parseRFC3339Nano('1970-01-01T00:00:00.1234567899Z')).toBe(123_456_789n);
  });
});

describe('Go layouts', () => {
  it('reads the named formats', () => {
    expect(parseAs('ANSIC', 'Tue Jul  9 21:48:36 2019')).toBe('2019-07-09T21:48:36Z');
    expect(parseAs('RubyDate', 'Tue Jul 09 21:48:36 -0700 2019')).toBe('2019-07-10T04:48:36Z');
    expect(parseAs('RFC822Z', '09 Jul 19 21:48 -0700')).toBe('2019-07-10T04:48:00Z');
    expect(parseAs('RFC850', 'Tuesday, 09-Jul-19 21:48:36 UTC')).toBe('2019-07-09T21:48:36Z');
    expect(parseAs('RFC1123Z', 'Tue, 09 Jul 2019 21:48:36 +0000')).toBe('2019-07-09T21:48:36Z');
  });

  it('reads zone abbreviations as UTC wall time (Go on a UTC machine)', () => {
    expect(parseAs('UnixDate', 'Tue Jul  9 21:48:36 MST 2019')).toBe('2019-07-09T21:48:36Z');
  });

  it('reads fixed (.000) and optional (.999) fractions', () => {
    expect(parseAs('2006-01-02 15:04:05.000', '2019-07-09 21:48:36.120')).toBe('2019-07-09T21:48:36.12Z');
    expect(parseAs('2006-01-02 15:04:05.000', '2019-07-09 21:48:36.12')).toBeUndefined();
    expect(parseAs('2006-01-02 15:04:05.999', '2019-07-09 21:48:36')).toBe('2019-07-09T21:48:36Z');
    expect(parseAs('2006-01-02 15:04:05', '2019-07-09 21:48:36.5')).toBe('2019-07-09T21:48:36.5Z');
    expect(parseAs('2006-01-02 15:04:05,000', '2019-07-09 21:48:36,250')).toBe('2019-07-09T21:48:36.25Z');
  });

  it('reads 12-hour clocks, two-digit years, padded days and month names in any case', () => {
    expect(parseAs('Jan _2 06 3:04:05 PM', 'JUL  9 19 9:48:36 PM')).toBe('2019-07-09T21:48:36Z');
    expect(parseAs('Jan _2 06 3:04:05 PM', 'Jul 9 19 12:00:00 AM')).toBe('2019-07-09T00:00:00Z');
    expect(parseAs('02-Jan-06', '01-Jan-69')).toBe('1969-01-01T00:00:00Z');
    expect(parseAs('02-Jan-06', '01-Jan-68')).toBe('2068-01-01T00:00:00Z');
    expect(parseAs('January 2, 2006', 'March 3, 2020')).toBe('2020-03-03T00:00:00Z');
  });

  it('reads every offset spelling', () => {
    const base = '2019-07-09T21:48:36';
    expect(parseAs('2006-01-02T15:04:05-0700', base + '+0230')).toBe('2019-07-09T19:18:36Z');
    expect(parseAs('2006-01-02T15:04:05-07', base + '-03')).toBe('2019-07-10T00:48:36Z');
    expect(parseAs('2006-01-02T15:04:05Z07:00', base + 'Z')).toBe('2019-07-09T21:48:36Z');
    expect(parseAs('2006-01-02T15:04:05Z0700', base + '-0100')).toBe('2019-07-09T22:48:36Z');
    expect(parseAs('2006-01-02T15:04:05-07:00:00', base + '+01:00:30')).toBe('2019-07-09T20:48:06Z');
  });

  it('matches a run of spaces with one space and rejects trailing text', () => {
    expect(parseAs('2006-01-02 15:04', '2019-07-09   21:48')).toBe('2019-07-09T21:48:00Z');
    expect(parseAs('2006-01-02', '2019-07-09 junk')).toBeUndefined();
  });

  it('reports what did not match', () => {
    expect(compileLayout('2006-01-02')('2019-13-09')).toBe('month out of range');
    expect(compileLayout('2006-01-02')('2019-02-30')).toBe('day out of range');
  });
});

describe('Promtail formats', () => {
  it('reads Unix epochs, with a float-scaled fraction for Unix', () => {
    expect(parseAs('Unix', '1562708916')).toBe('2019-07-09T21:48:36Z');
    expect(parseAs('Unix', '1562708916.5')).toBe('2019-07-09T21:48:36.5Z');
    expect(parseAs('UnixMs', '1562708916414')).toBe('2019-07-09T21:48:36.414Z');
    expect(parseAs('UnixUs', '1562708916414123')).toBe('2019-07-09T21:48:36.414123Z');
    expect(parseAs('UnixNs', '1562708916000000123')).toBe('2019-07-09T21:48:36.000000123Z');
    expect(parseAs('UnixMs', '1562708916414.5')).toBeUndefined();
    expect(parseAs('Unix', 'soon')).toBeUndefined();
  });

  it('applies a location to custom layouts, across daylight saving time', () => {
    expect(parseAs('2006-01-02 15:04:05', '2019-07-22 20:29:32', 'America/New_York')).toBe(
      '2019-07-23T00:29:32Z',
    );
    expect(parseAs('2006-01-02 15:04:05', '2019-12-22 20:29:32', 'America/New_York')).toBe(
      '2019-12-23T01:29:32Z',
    );
    expect(parseAs('2006-01-02 15:04:05', '2019-07-22 20:29:32', 'Asia/Kolkata')).toBe(
      '2019-07-22T14:59:32Z',
    );
    // A value with its own offset ignores the location.
    expect(parseAs('2006-01-02 15:04:05 -0700', '2019-07-22 20:29:32 +0000', 'Asia/Kolkata')).toBe(
      '2019-07-22T20:29:32Z',
    );
  });

  it('ignores the location for named formats, as Promtail does', () => {
    expect(parseAs('RFC1123', 'Tue, 09 Jul 2019 21:48:36 GMT', 'Asia/Tokyo')).toBe('2019-07-09T21:48:36Z');
  });

  it('places yearless layouts in the clock year, with new-year handling', () => {
    expect(parseAs('Jan _2 15:04:05', 'Jul  9 21:48:36')).toBe('2024-07-09T21:48:36Z');
    expect(parseAs('Jan _2 15:04:05', 'Dec 31 23:59:59')).toBe('2023-12-31T23:59:59Z');
    const december = () => 1_703_980_800_000_000_000n; // 2023-12-31
    expect(formatRFC3339Nano(compileTimeFormat('Stamp', undefined, december)('Jan  1 00:00:01')!)).toBe(
      '2024-01-01T00:00:01Z',
    );
  });

  it('reads an abbreviation the location uses with its offset, others as UTC wall time', () => {
    const layout = '2006-01-02 15:04:05 MST';
    expect(parseAs(layout, '2019-07-09 12:00:00 CEST', 'Europe/Berlin')).toBe('2019-07-09T10:00:00Z');
    // Go finds CET in the zone even in summer, and uses its offset.
    expect(parseAs(layout, '2019-07-09 12:00:00 CET', 'Europe/Berlin')).toBe('2019-07-09T11:00:00Z');
    expect(parseAs(layout, '2019-01-09 12:00:00 EST', 'America/New_York')).toBe('2019-01-09T17:00:00Z');
    expect(parseAs(layout, '2019-07-09 12:00:00 PDT', 'America/New_York')).toBe('2019-07-09T12:00:00Z');
  });

  it('rejects unknown zones', () => {
    expect(() => loadLocation('America/Canada')).toThrow('unknown time zone America/Canada');
    expect(loadLocation('UTC').offsetAt(0)).toBe(0);
  });
});
