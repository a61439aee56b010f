import { parseRFC3339Nano } from '../go/time.js';

/**
 * Parses one syslog message (already framed) in the two formats Promtail's
 * `syslog_format` selects, the way its parser (leodido/go-syslog) reads them:
 *
 * RFC 5424: `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`,
 *   `-` for absent fields, structured data `[id k="v" ...]` with `\"`, `\\`
 *   and `\]` escapes. Slightly more lenient than go-syslog: fractional seconds
 *   up to nanoseconds and over-long header fields are accepted instead of
 *   dropping the message.
 * RFC 3164 (BSD): `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`; the year is
 *   the current one and the zone UTC (go-syslog's defaults); an RFC 3339
 *   timestamp is accepted too.
 *
 * Facility and severity become names as go-syslog's FacilityLevel() and
 * SeverityLevel() spell them, which is what Promtail puts in its labels.
 */
export interface SyslogMessage {
  facility: number;
  severity: number;
  /** Nanoseconds since the epoch, when the message carries a time. */
  timestamp?: bigint;
  hostname?: string;
  appname?: string;
  procid?: string;
  msgid?: string;
  /** SD-ID -> param -> value. */
  structuredData?: Record<string, Record<string, string>>;
  message?: string;
}

export type ParseResult = { ok: true; message: SyslogMessage } | { ok: false; error: string };

const severityLevels = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
] as const;

/** syslog(3) keywords; go-syslog falls back to the RFC's description for codes without one. */
const facilityLevels: readonly string[] = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'clock daemon',
  'authpriv',
  'ftp',
  'NTP subsystem',
  'log audit',
  'log alert',
  'cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];

export function severityLevel(severity: number): string {
  return severityLevels[severity] ?? String(severity);
}

export function facilityLevel(facility: number): string {
  return facilityLevels[facility] ?? String(facility);
}

/** A cursor over one message. */
class Reader {
  i = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  /** Up to the next space (or the end); does not consume the space. */
  token(): string {
    const end = this.s.indexOf(' ', this.i);
    const stop = end < 0 ? this.s.length : end;
    const t = this.s.slice(this.i, stop);
    this.i = stop;
    return t;
  }
  space(): boolean {
    if (this.s[this.i] !== ' ') return false;
    this.i += 1;
    return true;
  }
  rest(): string {
    const r = this.s.slice(this.i);
    this.i = this.s.length;
    return r;
  }
}

function readPriority(r: Reader): { facility: number; severity: number } | string {
  if (r.peek() !== '<') return 'expecting a priority value within angle brackets';
  const close = r.s.indexOf('>', r.i);
  const digits = close < 0 ? '' : r.s.slice(r.i + 1, close);
  if (!/^(?:0|[1-9]\d{0,2})$/.test(digits) || Number(digits) > 191) {
    return 'expecting a priority value in the range 1-191 or equal to 0';
  }
  r.i = close + 1;
  const pri = Number(digits);
  return { facility: pri >> 3, severity: pri & 7 };
}

const nil = (v: string): string | undefined => (v === '-' || v === '' ? undefined : v);

export function parseRFC5424(text: string): ParseResult {
  const r = new Reader(text);
  const pri = readPriority(r);
  if (typeof pri === 'string') return { ok: false, error: pri };
  const version = r.token();
  if (!/^[1-9]\d{0,2}$/.test(version))
    return { ok: false, error: 'expecting a version value in the range 1-999' };
  if (!r.space()) return { ok: false, error: 'expecting a space after the version' };
  const ts = r.token();
  let timestamp: bigint | undefined;
  if (ts !== '-') {
    timestamp = parseRFC3339Nano(ts);
    if (timestamp === undefined) return { ok: false, error: `expecting an RFC 3339 timestamp, got "${ts}"` };
  }
  const header: (string | undefined)[] = [];
  for (const name of ['hostname', 'app-name', 'procid', 'msgid']) {
    if (!r.space()) return { ok: false, error: `expecting a space before the ${name}` };
    const value = r.token();
    if (value === '') return { ok: false, error: `expecting a ${name} (or "-")` };
    header.push(nil(value));
  }
  if (!r.space()) return { ok: false, error: 'expecting a space before the structured data' };
  let structuredData: SyslogMessage['structuredData'];
  if (r.peek() === '-') {
    r.i += 1;
  } else if (r.peek() === '[') {
    const sd = readStructuredData(r);
    if (typeof sd === 'string') return { ok: false, error: sd };
    structuredData = sd;
  } else {
    return { ok: false, error: 'expecting a structured data section containing one or more elements or "-"' };
  }
  let message: string | undefined;
  if (!r.done) {
    if (!r.space()) return { ok: false, error: 'expecting a space before the message' };
    message = stripBom(r.rest());
  }
  const [hostname, appname, procid, msgid] = header;
  return {
    ok: true,
    message: {
      ...pri,
      timestamp,
      hostname,
      appname,
      procid,
      msgid,
      structuredData,
      message: message === '' ? undefined : message,
    },
  };
}

function stripBom(s: string): string {
  return s.startsWith('\ufeff') ? s.slice(1) : s;
}

function readStructuredData(r: Reader): Record<string, Record<string, string>> | string {
  const out: Record<string, Record<string, string>> = {};
  while (r.peek() === '[') {
    r.i += 1;
    const id = readName(r);
    if (!id) return 'expecting a structured data element id';
    const params: Record<string, string> = {};
    while (r.peek() === ' ') {
      r.i += 1;
      const name = readName(r);
      if (!name) return 'expecting a structured data parameter name';
      if (r.s.slice(r.i, r.i + 2) !== '="')
        return 'expecting a structured data parameter value in double quotes';
      r.i += 2;
      let value = '';
      for (;;) {
        const c = r.s[r.i];
        if (c === undefined) return 'expecting the end of a structured data parameter value';
        r.i += 1;
        if (c === '"') break;
        if (c === '\\' && (r.peek() === '"' || r.peek() === '\\' || r.peek() === ']')) {
          value += r.peek();
          r.i += 1;
        } else {
          value += c;
        }
      }
      params[name] = value;
    }
    if (r.peek() !== ']') return 'expecting the end of a structured data element';
    r.i += 1;
    out[id] = params;
  }
  return out;
}

/** SD-NAME: printable US-ASCII except `=`, space, `]` and `"`, at most 32 characters. */
function readName(r: Reader): string {
  const start = r.i;
  while (r.i < r.s.length && /[!-~]/.test(r.s[r.i]!) && !'= ]"'.includes(r.s[r.i]!)) r.i += 1;
  return r.s.slice(start, r.i);
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `year`: the year to assume, as the BSD format has none (go-syslog: the current year). */
export function parseRFC3164(text: string, year: number): ParseResult {
  const r = new Reader(text);
  const pri = readPriority(r);
  if (typeof pri === 'string') return { ok: false, error: pri };
  let timestamp: bigint | undefined;
  const bsd = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) /.exec(text.slice(r.i));
  if (bsd) {
    const month = months.indexOf(bsd[1]!);
    if (month < 0) return { ok: false, error: `expecting a month, got "${bsd[1]}"` };
    const ms = Date.UTC(year, month, Number(bsd[2]!.trim()), Number(bsd[3]), Number(bsd[4]), Number(bsd[5]));
    timestamp = BigInt(ms) * 1_000_000n;
    r.i += bsd[0].length;
  } else {
    const token = r.token();
    timestamp = parseRFC3339Nano(token);
    if (timestamp === undefined) return { ok: false, error: 'expecting a Stamp or an RFC 3339 timestamp' };
    if (!r.space()) return { ok: false, error: 'expecting a space after the timestamp' };
  }
  const hostname = r.token();
  if (hostname === '') return { ok: false, error: 'expecting a hostname' };
  r.space();
  const rest = r.rest();
  // TAG is up to 32 alphanumeric characters, then `[PID]` and/or `:` before the content.
  const tag = /^([^\s[\]:]{1,48})(?:\[([^\]]*)\])?: ?/.exec(rest);
  const message = tag ? rest.slice(tag[0].length) : rest;
  return {
    ok: true,
    message: {
      ...pri,
      timestamp,
      hostname,
      appname: tag?.[1],
      procid: tag?.[2] === '' ? undefined : tag?.[2],
      message: message === '' ? undefined : message,
    },
  };
}
