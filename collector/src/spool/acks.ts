import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `acks.json`: how far each client has been acknowledged, as spool offsets:
 * `{"clients":{"loki:3100":12345}}`. Written by rename so it is always whole.
 * Not fsynced: losing the newest acks in a crash only means resending entries
 * Loki already has, and Loki collapses identical (timestamp, line) repeats.
 */
export async function readAcks(dir: string): Promise<Map<string, number>> {
  try {
    const text = await readFile(join(dir, 'acks.json'), 'utf8');
    const parsed = JSON.parse(text) as { clients?: Record<string, unknown> };
    const acks = new Map<string, number>();
    for (const [client, offset] of Object.entries(parsed.clients ?? {})) {
      if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) acks.set(client, offset);
    }
    return acks;
  } catch {
    // Missing or unreadable: every client starts at the oldest retained record (resend, never lose).
    return new Map();
  }
}

export async function writeAcks(dir: string, acks: ReadonlyMap<string, number>): Promise<void> {
  const tmp = join(dir, 'acks.json.tmp');
  await writeFile(tmp, JSON.stringify({ clients: Object.fromEntries(acks) }));
  await rename(tmp, join(dir, 'acks.json'));
}
