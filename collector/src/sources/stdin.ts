import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { Logger } from '../log.js';
import { newEntry, type Entry } from '../pipeline/entry.js';
import { entryFromJson, EntryJsonError } from '../pipeline/entry_json.js';
import type { Clock } from '../pipeline/stage.js';
import type { Batch, Source } from './source.js';

export type StdinFormat = 'raw' | 'jsonl';

export interface StdinSourceOptions {
  input: Readable;
  /** `raw`: each line is a log line. `jsonl`: each line is an entry in the --dry-run JSON form. */
  format: StdinFormat;
  /** The target's labels (static labels of the first scrape config). */
  labels: Record<string, string>;
  clock: Clock;
  logger: Logger;
  /** Lines per batch; a batch also ends when input pauses. Default 256. */
  batchSize?: number;
}

/**
 * Standard input as one target (`--stdin`). Lines split on `\n` (a trailing
 * `\r` is removed, as Promtail's line scanner does); the read time is the
 * timestamp unless a jsonl entry has `ts`. A jsonl line that is not a valid
 * entry is reported on stderr with its line number and skipped. Nothing to
 * acknowledge: stdin cannot be re-read.
 */
export function createStdinSource(options: StdinSourceOptions): Source {
  const batchSize = options.batchSize ?? 256;
  let stopped = false;

  const toEntry = (line: string, lineNumber: number): Entry | undefined => {
    const now = options.clock.now();
    if (options.format === 'raw') return newEntry(line, options.labels, now);
    if (line.trim() === '') return undefined;
    try {
      return entryFromJson(JSON.parse(line), options.labels, now);
    } catch (err) {
      const reason = err instanceof EntryJsonError || err instanceof SyntaxError ? err.message : String(err);
      options.logger.warn('skipping stdin line that is not a jsonl entry', {
        line_number: lineNumber,
        error: reason,
      });
      return undefined;
    }
  };

  async function* batches(): AsyncGenerator<Batch> {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    let lineNumber = 0;
    let pending: Entry[] = [];
    const take = (raw: string) => {
      lineNumber += 1;
      const entry = toEntry(raw.endsWith('\r') ? raw.slice(0, -1) : raw, lineNumber);
      if (entry) pending.push(entry);
    };
    // One batch per chunk read (split at batchSize), so interactive use prints at once.
    const chunks = readChunks(options.input, () => stopped);
    for await (const chunk of chunks) {
      const parts = (partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk))).split('\n');
      partial = parts.pop() ?? '';
      for (const raw of parts) {
        take(raw);
        if (pending.length >= batchSize) {
          yield { entries: pending, ack: () => undefined };
          pending = [];
        }
      }
      if (pending.length > 0) {
        yield { entries: pending, ack: () => undefined };
        pending = [];
      }
      if (stopped) return;
    }
    partial += decoder.end();
    // A last line without a newline still counts, as with Promtail's scanner.
    if (partial !== '') take(partial);
    if (pending.length > 0) yield { entries: pending, ack: () => undefined };
  }

  return {
    kind: 'stdin',
    batches,
    stop: async () => {
      stopped = true;
      // Unblocks a read waiting on a terminal or an idle pipe.
      options.input.destroy();
    },
  };
}

/** The stream's chunks; ends quietly when the stream is destroyed by stop(). */
async function* readChunks(input: Readable, stopped: () => boolean): AsyncGenerator<Buffer | string> {
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) yield chunk;
  } catch (err) {
    if (!stopped()) throw err;
  }
}
