/**
 * Go's fmt.Sprint, Sprintln and Sprintf for the template functions print,
 * println and printf: the common verbs (%v %s %d %q %x %X %f %e %g %t %c %o %b %%)
 * with flags, width and precision, and Go's `%!d(string=x)` marks for mismatches.
 */
import { GoFloat, formatFloatE, formatFloatG, printValue, typeName, type GoValue } from './value.js';
import { goQuote } from '../strconv.js';

/** A nil interface prints `<nil>` in fmt (a missing key reaches fmt as nil). */
const show = (v: GoValue) => (v === undefined ? '<nil>' : printValue(v));

export function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += show(arg);
  });
  return out;
}

export function sprintln(args: GoValue[]): string {
  return args.map(show).join(' ') + '\n';
}

function utf8Hex(s: string, upper: boolean, spaced: boolean): string {
  const hex = [...Buffer.from(s, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
  const text = hex.join(spaced ? ' ' : '');
  return upper ? text.toUpperCase() : text;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  precision: number | undefined;
}

function pad(text: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || text.length >= spec.width) return text;
  const fill = spec.width - text.length;
  if (spec.minus) return text + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const signed = /^[+-]/.test(text);
    return (signed ? text[0] : '') + '0'.repeat(fill) + (signed ? text.slice(1) : text);
  }
  return ' '.repeat(fill) + text;
}

function signed(text: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + text;
  if (spec.plus) return '+' + text;
  if (spec.space) return ' ' + text;
  return text;
}

function formatInt(n: number, verb: string, spec: Spec): string | undefined {
  const abs = Math.abs(n);
  let digits: string;
  switch (verb) {
    case 'd':
    case 'v':
      digits = String(abs);
      break;
    case 'b':
      digits = abs.toString(2);
      break;
    case 'o':
      digits = (spec.sharp ? '0' : '') + abs.toString(8);
      break;
    case 'O':
      digits = '0o' + abs.toString(8);
      break;
    case 'x':
      digits = (spec.sharp ? '0x' : '') + abs.toString(16);
      break;
    case 'X':
      digits = (spec.sharp ? '0X' : '') + abs.toString(16).toUpperCase();
      break;
    case 'c':
      return String.fromCodePoint(n);
    case 'q':
      return `'${String.fromCodePoint(n)}'`;
    case 'U':
      return 'U+' + abs.toString(16).toUpperCase().padStart(4, '0');
    default:
      return undefined;
  }
  if (spec.precision !== undefined) digits = digits.padStart(spec.precision, '0');
  return signed(digits, n < 0, spec);
}

function formatFloat(f: number, verb: string, spec: Spec): string | undefined {
  const negative = f < 0 || Object.is(f, -0);
  const abs = Math.abs(f);
  let text: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      text = formatFloatG(abs, spec.precision, verb === 'G');
      break;
    case 'f':
    case 'F':
      text = Number.isFinite(abs) ? abs.toFixed(spec.precision ?? 6) : formatFloatG(abs);
      break;
    case 'e':
    case 'E':
      text = formatFloatE(abs, spec.precision ?? 6, verb === 'E');
      break;
    default:
      return undefined;
  }
  return signed(text, negative && !Number.isNaN(f), spec);
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  const cut = (t: string) => (spec.precision === undefined ? t : [...t].slice(0, spec.precision).join(''));
  switch (verb) {
    case 's':
    case 'v':
      return cut(s);
    case 'q':
      return spec.sharp && !s.includes('`') ? '`' + s + '`' : goQuote(cut(s));
    case 'x':
      return utf8Hex(cut(s), false, spec.space);
    case 'X':
      return utf8Hex(cut(s), true, spec.space);
    default:
      return undefined;
  }
}

function formatOne(arg: GoValue, verb: string, spec: Spec): string {
  let text: string | undefined;
  let numeric = false;
  if (arg === undefined || arg === null) {
    text = verb === 'v' ? '<nil>' : undefined;
  } else if (typeof arg === 'string') {
    text = formatString(arg, verb, spec);
  } else if (typeof arg === 'number') {
    text = formatInt(arg, verb, spec);
    numeric = true;
  } else if (arg instanceof GoFloat) {
    text = formatFloat(arg.value, verb, spec);
    numeric = true;
  } else if (typeof arg === 'boolean') {
    text = verb === 't' || verb === 'v' ? String(arg) : undefined;
  } else if (verb === 'v' || verb === 's') {
    text = printValue(arg);
  }
  if (text === undefined) {
    if (arg === undefined || arg === null) return `%!${verb}(<nil>)`;
    return `%!${verb}(${typeName(arg)}=${printValue(arg)})`;
  }
  return pad(text, spec, numeric);
}

export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const spec: Spec = {
      minus: false,
      plus: false,
      sharp: false,
      space: false,
      zero: false,
      width: undefined,
      precision: undefined,
    };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    const readNumber = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const arg = args[argIndex++];
        return typeof arg === 'number' ? arg : undefined;
      }
      const start = i;
      while (i < format.length && format[i]! >= '0' && format[i]! <= '9') i++;
      return i > start ? Number(format.slice(start, i)) : undefined;
    };
    spec.width = readNumber();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.precision = readNumber() ?? 0;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    i++;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(args[argIndex++], verb, spec);
  }
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${typeName(a)}=${a === undefined || a === null ? '<nil>' : printValue(a)}`)
      .join(', ')})`;
  }
  return out;
}
