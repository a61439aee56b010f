/**
 * The tokenizer of Go reference-time layouts (Go's nextStdChunk): splits a
 * layout such as `Jan _2 15:04:05.000 -0700` into literal text and elements,
 * longest spelling first. Parsing values with the chunks is layout.ts's job.
 */

export const enum Std {
  Literal,
  LongMonth, // January
  Month, // Jan
  NumMonth, // 1
  ZeroMonth, // 01
  LongWeekDay, // Monday
  WeekDay, // Mon
  Day, // 2
  UnderDay, // _2
  ZeroDay, // 02
  UnderYearDay, // __2
  ZeroYearDay, // 002
  Hour, // 15
  Hour12, // 3
  ZeroHour12, // 03
  Minute, // 4
  ZeroMinute, // 04
  Second, // 5
  ZeroSecond, // 05
  LongYear, // 2006
  Year, // 06
  PM, // PM
  Lowerpm, // pm
  TZ, // MST
  ISO8601TZ, // Z0700
  ISO8601SecondsTZ, // Z070000
  ISO8601ShortTZ, // Z07
  ISO8601ColonTZ, // Z07:00
  ISO8601ColonSecondsTZ, // Z07:00:00
  NumTZ, // -0700
  NumSecondsTz, // -070000
  NumShortTZ, // -07
  NumColonTZ, // -07:00
  NumColonSecondsTZ, // -07:00:00
  FracSecond0, // .000 (fixed digits)
  FracSecond9, // .999 (optional, any digits)
}

export interface Chunk {
  std: Std;
  /** Literal text for Std.Literal; digit count for fractions. */
  text: string;
  digits: number;
}

export const LONG_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const SHORT_MONTHS = LONG_MONTHS.map((m) => m.slice(0, 3));
export const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const SHORT_DAYS = LONG_DAYS.map((d) => d.slice(0, 3));

const ZERO_STD: Record<string, Std> = {
  '1': Std.ZeroMonth,
  '2': Std.ZeroDay,
  '3': Std.ZeroHour12,
  '4': Std.ZeroMinute,
  '5': Std.ZeroSecond,
  '6': Std.Year,
};

/** Ordered so that longer spellings win, as in Go's nextStdChunk. */
const TZ_SPELLINGS: ReadonlyArray<readonly [string, Std]> = [
  ['Z07:00:00', Std.ISO8601ColonSecondsTZ],
  ['Z070000', Std.ISO8601SecondsTZ],
  ['Z07:00', Std.ISO8601ColonTZ],
  ['Z0700', Std.ISO8601TZ],
  ['Z07', Std.ISO8601ShortTZ],
  ['-07:00:00', Std.NumColonSecondsTZ],
  ['-070000', Std.NumSecondsTz],
  ['-07:00', Std.NumColonTZ],
  ['-0700', Std.NumTZ],
  ['-07', Std.NumShortTZ],
];

export function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Finds the next layout element at or after `i`: [start, end, std, digits] or undefined. */
function nextStd(layout: string, from: number): [number, number, Std, number] | undefined {
  for (let i = from; i < layout.length; i++) {
    const rest = layout.slice(i);
    const c = layout[i];
    switch (c) {
      case 'J':
        if (rest.startsWith('January')) return [i, i + 7, Std.LongMonth, 0];
        if (rest.startsWith('Jan')) return [i, i + 3, Std.Month, 0];
        break;
      case 'M':
        if (rest.startsWith('Monday')) return [i, i + 6, Std.LongWeekDay, 0];
        if (rest.startsWith('Mon')) return [i, i + 3, Std.WeekDay, 0];
        if (rest.startsWith('MST')) return [i, i + 3, Std.TZ, 0];
        break;
      case '0': {
        if (rest.startsWith('002')) return [i, i + 3, Std.ZeroYearDay, 0];
        const next = layout[i + 1];
        if (next !== undefined && next >= '1' && next <= '6') return [i, i + 2, ZERO_STD[next]!, 0];
        break;
      }
      case '1':
        if (rest.startsWith('15')) return [i, i + 2, Std.Hour, 0];
        return [i, i + 1, Std.NumMonth, 0];
      case '2':
        if (rest.startsWith('2006')) return [i, i + 4, Std.LongYear, 0];
        return [i, i + 1, Std.Day, 0];
      case '_':
        if (rest.startsWith('_2')) {
          // `_2006` is a literal underscore followed by the year.
          if (rest.startsWith('_2006')) return [i + 1, i + 5, Std.LongYear, 0];
          return [i, i + 2, Std.UnderDay, 0];
        }
        if (rest.startsWith('__2')) return [i, i + 3, Std.UnderYearDay, 0];
        break;
      case '3':
        return [i, i + 1, Std.Hour12, 0];
      case '4':
        return [i, i + 1, Std.Minute, 0];
      case '5':
        return [i, i + 1, Std.Second, 0];
      case 'P':
        if (rest.startsWith('PM')) return [i, i + 2, Std.PM, 0];
        break;
      case 'p':
        if (rest.startsWith('pm')) return [i, i + 2, Std.Lowerpm, 0];
        break;
      case '-':
      case 'Z':
        for (const [spelling, std] of TZ_SPELLINGS) {
          if (rest.startsWith(spelling)) return [i, i + spelling.length, std, 0];
        }
        break;
      case '.':
      case ',': {
        const digit = layout[i + 1];
        if (digit === '0' || digit === '9') {
          let j = i + 1;
          while (j < layout.length && layout[j] === digit) j++;
          // Only a fraction when the run of digits ends here.
          if (!isDigitAt(layout, j)) {
            return [i, j, digit === '0' ? Std.FracSecond0 : Std.FracSecond9, j - i - 1];
          }
        }
        break;
      }
    }
  }
  return undefined;
}

/** Splits a layout into literal text and elements. */
export function compileChunks(layout: string): Chunk[] {
  const chunks: Chunk[] = [];
  let pos = 0;
  for (;;) {
    const found = nextStd(layout, pos);
    const literalEnd = found ? found[0] : layout.length;
    if (literalEnd > pos) chunks.push({ std: Std.Literal, text: layout.slice(pos, literalEnd), digits: 0 });
    if (!found) return chunks;
    chunks.push({ std: found[2], text: layout.slice(found[0], found[1]), digits: found[3] });
    pos = found[1];
  }
}
