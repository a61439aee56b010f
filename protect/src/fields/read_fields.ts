/**
 * The fields of a log line, from JSON (an object) or logfmt / `k=v` text. Used by
 * the context and detect stages and by the SDK to look at a line without caring
 * how it was written. Returns undefined when the line has no fields at all.
 */
export type Fields = Record<string, unknown>;

export function readFields(line: string): Fields | undefined {
  const start = firstNonSpace(line);
  if (line.charCodeAt(start) === 123 /* { */) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Fields;
    } catch {
      // not JSON after all: try the other forms
    }
  }
  return readAccessLog(line) ?? readLogfmt(line);
}

/**
 * Common/combined log format (nginx, Apache):
 * `1.2.3.4 - user [11/Mar/2024:09:14:22 +0000] "GET /p?q=1 HTTP/1.1" 200 512 "ref" "agent"`.
 */
const accessLog =
  /^(\S+) \S+ (\S+) \[[^\]]+\] "([A-Z]{3,10}) (\S+)(?: HTTP\/[\d.]+)?" (\d{3}) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?/;

export function readAccessLog(line: string): Fields | undefined {
  const m = accessLog.exec(line);
  if (m === null) return undefined;
  const fields: Fields = { client_ip: m[1], method: m[3], url: m[4], status: Number(m[5]) };
  if (m[2] !== '-') fields.user = m[2];
  if (m[6] !== '-') fields.bytes = Number(m[6]);
  if (m[7] !== undefined && m[7] !== '-') fields.referer = m[7];
  if (m[8] !== undefined) fields.user_agent = m[8];
  return fields;
}

function firstNonSpace(s: string): number {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

/** `key=value`, `key="quoted \" value"`, bare `key` (true), as go-logfmt reads them. */
const logfmtPair = /(?:^|[\s,])([A-Za-z_][\w.\-/]*)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?(?=\s|,|$)/g;

export function readLogfmt(line: string): Fields | undefined {
  const fields: Fields = {};
  let count = 0;
  let withValue = 0;
  for (const m of line.matchAll(logfmtPair)) {
    const key = m[1]!;
    const raw = m[2];
    count++;
    if (raw === undefined) continue; // a bare word in prose is not a field
    withValue++;
    fields[key] = raw.startsWith('"') ? unquote(raw) : raw;
  }
  return count > 0 && withValue > 0 ? fields : undefined;
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}
