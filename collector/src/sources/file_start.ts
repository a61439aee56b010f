import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../log.js';
import { isSameFile, type FileIdentity } from './file_identity.js';
import type { FileTarget } from './file_targets.js';
import type { Positions } from './positions.js';

/**
 * Where the file source starts reading each path it has not opened yet: the
 * saved offset, checked against the identity saved with it (positions.ts
 * sidecar) so a file rotated, truncated or replaced while the collector was
 * down is neither skipped into nor half lost. Without an identity (first start
 * after an upgrade, a Promtail positions file) the saved offset is used as
 * Promtail would (tailer.ts still restarts at 0 when it is past the end or not
 * at a line start).
 */
export interface ResumePlan {
  offset: number;
  /** An older file (the path's file when the offset was saved) to finish first, from `offset`. */
  drain?: { path: string; offset: number };
}

/**
 * Plans every path in `fresh` (in the glob, never opened in this process).
 * An old file found by its inode that is itself one of the glob's matches
 * (say `*.log*` and `app.log.1`) is not drained under the path: it resumes
 * as its own target at the saved offset, so it is read once.
 */
export async function planStarts(
  fresh: readonly string[],
  matches: ReadonlySet<string>,
  positions: Positions,
  logger: Logger,
): Promise<Map<string, ResumePlan>> {
  const plans = new Map<string, ResumePlan>();
  const handed = new Map<string, number>();
  for (const path of fresh) {
    const saved = savedOffset(positions, path, logger);
    const identity = positions.identity(path);
    let plan: ResumePlan = { offset: saved };
    if (identity) {
      try {
        plan = await planResume(path, saved, identity, matches);
      } catch (err) {
        logger.warn('cannot check the saved position, using it as is', { path, error: err });
      }
    }
    if (plan.offset !== saved || plan.drain) {
      logger.info('file changed while stopped', {
        path,
        saved,
        offset: plan.offset,
        finish: plan.drain?.path,
      });
    }
    if (plan.drain && matches.has(plan.drain.path)) {
      if (fresh.includes(plan.drain.path)) handed.set(plan.drain.path, plan.drain.offset);
      plan = { offset: plan.offset };
    }
    plans.set(path, plan);
  }
  for (const [path, offset] of handed) plans.set(path, { offset });
  return plans;
}

/**
 * A saved position for a path of ours that names no file now (deleted while
 * we were down, or before we looked) belongs to a file that is gone: whatever
 * appears there later must be read from 0, not from that offset.
 */
export function forgetVanished(
  positions: Positions,
  seen: ReadonlyMap<string, unknown>,
  tracked: ReadonlyMap<string, unknown>,
  targets: readonly FileTarget[],
): void {
  for (const key of Object.keys(positions.snapshot())) {
    if (seen.has(key) || tracked.has(key)) continue;
    if (targets.some((t) => t.matcher.matches(key))) positions.remove(key);
  }
}

/**
 * On stop: if the path was rotated or deleted since we last looked, the saved
 * offset belongs to the old file. Saved with that file's identity, it stays:
 * the next start reads the new file from 0 and finishes the old one if it is
 * still there. Without an identity the new file must start at 0. Returns
 * whether `active` is no longer the path's file (to detach it).
 */
export async function releasePosition(
  positions: Positions,
  path: string,
  active: { readonly dev: number; readonly ino: number },
): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (st?.ino === active.ino && st.dev === active.dev) return false;
  const known = positions.identity(path);
  if (known?.ino === active.ino && known.dev === active.dev) return true;
  if (st) positions.put(path, 0);
  else positions.remove(path);
  return true;
}

/** The saved offset; a value that is not a number (hand-edited file) means 0, with a warning. */
export function savedOffset(positions: Positions, path: string, logger: Logger): number {
  try {
    return positions.get(path);
  } catch (err) {
    logger.warn('ignoring invalid saved position, reading from the start', { path, error: err });
    return 0;
  }
}

/**
 * One path: the same file resumes; the same inode with other first bytes
 * (truncated and rewritten) starts at 0; another file starts at 0, and the old
 * one, if it is among `candidates` or in the same folder (rotation by rename
 * keeps the inode), is finished from the saved offset first.
 */
async function planResume(
  path: string,
  saved: number,
  identity: FileIdentity,
  candidates: Iterable<string>,
): Promise<ResumePlan> {
  const st = await stat(path);
  if (st.dev === identity.dev && st.ino === identity.ino) {
    return { offset: (await isSameFile(path, identity)) ? saved : 0 };
  }
  // Without bytes to compare, a file found by its inode may be another one that
  // reused the number (even our own positions file): only a position past some
  // content, all of it still there, identifies the old file.
  if (identity.headBytes === 0) return { offset: 0 };
  const look = new Set(candidates);
  try {
    for (const name of await readdir(dirname(path))) look.add(join(dirname(path), name));
  } catch {
    // folder unreadable: the glob's matches are all we can look at
  }
  look.delete(path);
  for (const other of look) {
    // stat first: opening every file of a big folder (or a FIFO) is not for a mere look.
    const found = await stat(other).catch(() => undefined);
    if (found?.dev !== identity.dev || found.ino !== identity.ino || !found.isFile() || found.size < saved)
      continue;
    if (await isSameFile(other, identity)) return { offset: 0, drain: { path: other, offset: saved } };
  }
  return { offset: 0 };
}
