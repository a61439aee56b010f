/**
 * Go's time package, as much as Promtail configs need: RFC 3339 fast paths,
 * reference-time layouts (`2006-01-02 15:04:05.000 -0700`), Promtail's named formats
 * and Unix epochs, and IANA zones. Every instant is a bigint of nanoseconds since
 * the epoch. The implementation lives in ./time/, one file per job:
 * civil.ts (calendar arithmetic), rfc3339.ts (fast path), layout_chunks.ts (layout
 * tokenizer), layout.ts (parsing with a layout),
 * zone.ts (IANA zones), formats.ts (Promtail's `format` values).
 */
export { parseRFC3339Nano, formatRFC3339Nano } from './time/rfc3339.js';
export { compileLayout, layoutHasYear, type WallTime, type LayoutParser } from './time/layout.js';
export { loadLocation, UTC, type Zone } from './time/zone.js';
export { compileTimeFormat, layoutParser, GO_LAYOUTS, type TimeParser } from './time/formats.js';
