import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { formatEntryJson } from '../pipeline/entry_json.js';
import type { Batch } from '../sources/source.js';

/**
 * The --dry-run sink: prints each entry as one JSON line (see entry_json.ts)
 * and acks the batch once written. Waits for the stream to drain, so a slow
 * reader of stdout slows the sources instead of filling memory.
 * Returns how many entries were printed.
 */
export async function printEntries(batches: AsyncIterable<Batch>, out: Writable): Promise<number> {
  let printed = 0;
  for await (const batch of batches) {
    let text = '';
    for (const entry of batch.entries) text += formatEntryJson(entry) + '\n';
    printed += batch.entries.length;
    if (!out.write(text)) await once(out, 'drain');
    batch.ack();
  }
  return printed;
}
