import { stat } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { identify } from './file_identity.js';
import type { Positions } from './positions.js';
import type { FilePosition } from './source.js';

/**
 * Moves saved positions forward to what the spool already holds, before the
 * file sources start. The positions file is written only every sync_period,
 * so after a `kill -9` it may lag behind lines that reached the spool; read
 * again, lines timestamped at read time would reach Loki twice. The spool's
 * records carry the offset past their lines (Batch.positions), so the newest
 * one per file says where reading must resume.
 *
 * A spooled position counts when it is of the file the saved offset belongs
 * to (the identity in the positions sidecar: that file may since have been
 * rotated away, and the file source finishes it from there), or else while its
 * path still names the same file (device and inode). The larger offset wins
 * (the positions file may be ahead of the spool: segments are deleted once
 * every client acked them), unless the saved offset is known to be another
 * file's. Returns how many moved.
 */
export async function resumeFromSpool(
  positions: Positions,
  spooled: readonly FilePosition[],
  logger: Logger,
): Promise<number> {
  let moved = 0;
  for (const { path, dev, ino, offset } of spooled) {
    let saved = 0;
    try {
      saved = positions.get(path);
    } catch {
      // not a number (hand-edited): the spooled offset replaces it
    }
    const known = positions.identity(path);
    if (known?.dev === dev && known.ino === ino) {
      if (offset <= saved) continue;
      positions.putFile(path, offset, known); // same file, same first bytes
    } else {
      try {
        const st = await stat(path);
        if (st.dev !== dev || st.ino !== ino) continue;
        if (offset <= saved && known === undefined) continue;
        positions.putFile(path, offset, await identify(path, offset));
      } catch {
        continue; // gone: nothing to resume
      }
    }
    moved++;
    logger.debug('resuming file past spooled lines', { path, saved, offset });
  }
  return moved;
}
