import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * Which file a saved offset belongs to: device, inode, and a fingerprint of
 * the file's first bytes (sha256 of the first min(offset, 1 KiB) bytes, which
 * had been read when the offset was recorded). Kept beside the positions file
 * (positions.ts, `<filename>.files.json`) because Promtail's format holds only
 * offsets. At start-up it tells a file that is still the same (resume) from one
 * truncated and rewritten in place (same inode, other first bytes: read from 0)
 * and from one replaced by rotation (other inode: read the new file from 0, and
 * finish the old one, found by its inode, from the saved offset).
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  /** How many leading bytes `headSha256` covers. */
  readonly headBytes: number;
  readonly headSha256: string;
}

export const headLimit = 1024;

export function hashHead(head: Buffer): string {
  return createHash('sha256').update(head).digest('hex');
}

/** Whether the file at `path` is the identified one: same device, inode and first bytes. */
export async function isSameFile(path: string, identity: FileIdentity): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const st = await handle.stat();
    if (st.dev !== identity.dev || st.ino !== identity.ino || st.size < identity.headBytes) return false;
    const head = Buffer.alloc(identity.headBytes);
    let filled = 0;
    while (filled < head.length) {
      const { bytesRead } = await handle.read(head, filled, head.length - filled, filled);
      if (bytesRead === 0) return false;
      filled += bytesRead;
    }
    return hashHead(head) === identity.headSha256;
  } finally {
    await handle.close();
  }
}

/** The identity of the file at `path` now, with a fingerprint for a position at `offset`. */
export async function identify(path: string, offset: number): Promise<FileIdentity> {
  const handle = await open(path, 'r');
  try {
    const st = await handle.stat();
    const head = Buffer.alloc(Math.min(offset, headLimit, st.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return {
      dev: st.dev,
      ino: st.ino,
      headBytes: bytesRead,
      headSha256: hashHead(head.subarray(0, bytesRead)),
    };
  } finally {
    await handle.close();
  }
}
