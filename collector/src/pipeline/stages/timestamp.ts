/**
 * `timestamp`: sets the entry's timestamp from a value in the extracted map.
 *
 *   - timestamp:
 *       source: time              # extracted key (required)
 *       format: RFC3339Nano       # Go layout, a Go layout name, or Unix|UnixMs|UnixUs|UnixNs (required)
 *       fallback_formats: [UnixMs] # tried in order when `format` does not match
 *       location: Europe/Paris    # IANA zone for layouts without an offset
 *       action_on_failure: fudge  # fudge (default) | skip
 *
 * Example: extracted `{time: "2019-07-09T21:48:36.123+02:00"}` with `format: RFC3339`
 * gives the entry the timestamp `2019-07-09T19:48:36.123Z` (Go reads the fraction
 * even though the RFC3339 layout has none).
 *
 * Promtail behaviours kept on purpose, because they surprise:
 *   - `location` applies to custom layouts only; the named formats (RFC3339, ANSIC, ...)
 *     are read in UTC when they carry no offset, whatever `location` says.
 *   - A layout without `06`/`2006` gets the current year from the clock, except a
 *     December date read in January (last year) and a January date read in December
 *     (next year).
 *   - A zone abbreviation (`MST`, `CEST`) counts only when `location` uses it
 *     (`CEST` with Europe/Berlin, even `CET` in summer); otherwise the wall time is
 *     read as UTC (Go on a UTC machine). Numeric offsets and `Z` always count.
 *   - `Unix` with a fraction scales the fraction through a float, like Promtail.
 *   - `fudge`: on failure (source missing, not a string, unparsable) the entry gets
 *     the last good timestamp of its label set plus 1 ns, and that becomes the new
 *     last one; with no last one it keeps its read time. The label set is the one
 *     the entry has when it reaches this stage; at most 10,000 label sets are
 *     remembered (least recently used are forgotten).
 * Go's other layout names (Kitchen, Stamp, StampMilli, DateTime, ...) are literal
 * text to Promtail and never match; we expand them.
 *
 * Failures are counted with reasons `missing_source`, `not_a_string`, `invalid_timestamp`.
 */
import { z } from 'zod';
import { defineStage, StageConfigError } from '../stage.js';
import { compileTimeFormat, loadLocation, type TimeParser, type Zone } from '../../go/time.js';
import { extractedToString } from '../../go/strconv.js';
import type { Entry } from '../entry.js';
import { LabelsHasher, sameLabels } from '../stream_key.js';

const MAX_REMEMBERED_STREAMS = 10_000;

const schema = z.object({
  source: z.string({ error: 'timestamp source value is required if timestamp is specified' }).min(1, {
    error: 'timestamp source value is required if timestamp is specified',
  }),
  format: z
    .string({ error: 'timestamp format is required' })
    .min(1, { error: 'timestamp format is required' }),
  fallback_formats: z.array(z.string()).optional(),
  location: z.string().optional(),
  action_on_failure: z
    .enum(['skip', 'fudge'], { error: 'invalid action on failure (supported values are [skip fudge])' })
    .optional(),
});

/**
 * The last good timestamp per label set (Promtail keys it by labels.String()), for
 * `fudge`. Looked up on every parsed line, so it avoids allocating: a label set is
 * found by an order-independent hash of its pairs, then compared pair by pair; only
 * a new label set is copied. At most `limit` label sets; past that the oldest are
 * forgotten, except those used within the last `limit / 2` lookups, which get a
 * second chance (moved to the back): near-LRU without reordering the Map on every
 * line, which cost a delete and an insert per entry when streams interleave.
 */
class LastTimestamps {
  private readonly byHash = new Map<number, Bucket>();
  private readonly hasher = new LabelsHasher();
  private clock = 0;

  constructor(private readonly limit: number) {}

  private find(labels: Record<string, string>, hash: number): Stored | undefined {
    const bucket = this.byHash.get(hash);
    if (!bucket) return undefined;
    bucket.usedAt = ++this.clock;
    for (const stored of bucket.items) if (sameLabels(labels, stored.labels, stored.size)) return stored;
    return undefined;
  }

  get(labels: Record<string, string>): bigint | undefined {
    return this.find(labels, this.hasher.hash(labels))?.ns;
  }

  set(labels: Record<string, string>, ns: bigint): void {
    const hash = this.hasher.hash(labels);
    const found = this.find(labels, hash);
    if (found) {
      found.ns = ns;
      return;
    }
    // A snapshot: later stages may change the entry's labels in place.
    const copy = { ...labels };
    const stored = { labels: copy, size: Object.keys(copy).length, ns };
    const bucket = this.byHash.get(hash);
    if (bucket) bucket.items.push(stored);
    else this.byHash.set(hash, { items: [stored], usedAt: ++this.clock });
    while (this.byHash.size > this.limit) {
      const [oldest, first] = this.byHash.entries().next().value!;
      this.byHash.delete(oldest);
      if (this.clock - first.usedAt < this.limit / 2) this.byHash.set(oldest, first);
    }
  }
}

interface Stored {
  labels: Record<string, string>;
  size: number;
  ns: bigint;
}

interface Bucket {
  items: Stored[];
  /** `clock` at the last lookup. */
  usedAt: number;
}

export const timestamp = defineStage({
  name: 'timestamp',
  schema,
  create(config, ctx) {
    let zone: Zone | undefined;
    if (config.location !== undefined) {
      try {
        zone = loadLocation(config.location);
      } catch (err) {
        throw new StageConfigError('location', `invalid location specified: ${(err as Error).message}`);
      }
    }
    const now = () => ctx.clock.now();
    const parsers: TimeParser[] = [config.format, ...(config.fallback_formats ?? [])].map((f) =>
      compileTimeFormat(f, zone, now),
    );
    const parse: TimeParser =
      parsers.length === 1
        ? parsers[0]!
        : (value) => {
            for (const p of parsers) {
              const ns = p(value);
              if (ns !== undefined) return ns;
            }
            return undefined;
          };
    const source = config.source;
    const fudge = (config.action_on_failure ?? 'fudge') === 'fudge';
    // Last good timestamp per label set, in least-recently-used order (Map keeps insertion order).
    const lastKnown = new LastTimestamps(MAX_REMEMBERED_STREAMS);

    const fail = (entry: Entry, reason: string): Entry => {
      ctx.countError(reason);
      if (!fudge) return entry;
      const last = lastKnown.get(entry.labels);
      if (last === undefined) return entry;
      entry.timestamp = last + 1n;
      lastKnown.set(entry.labels, entry.timestamp);
      return entry;
    };

    return {
      process(entry) {
        const raw = entry.extracted[source];
        if (raw === undefined) return fail(entry, 'missing_source');
        const text = typeof raw === 'string' ? raw : extractedToString(raw);
        if (text === undefined) return fail(entry, 'not_a_string');
        const ns = parse(text);
        if (ns === undefined) return fail(entry, 'invalid_timestamp');
        entry.timestamp = ns;
        if (fudge) lastKnown.set(entry.labels, ns);
        return entry;
      },
    };
  },
});
