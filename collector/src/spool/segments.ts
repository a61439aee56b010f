import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Segment files: `<base>.seg`, base = the spool offset of the segment's first
 * byte, zero-padded to 20 digits so names sort in offset order. Offsets run on
 * across segments and restarts, so an acknowledged offset never points into
 * new data.
 */
export interface SegmentFile {
  base: number;
  path: string;
  size: number;
}

const SEGMENT = /^(\d{20})\.seg$/;

export const segmentPath = (dir: string, base: number) => join(dir, `${String(base).padStart(20, '0')}.seg`);

export async function listSegments(dir: string): Promise<SegmentFile[]> {
  const names = await readdir(dir);
  const segments: SegmentFile[] = [];
  for (const name of names) {
    const match = SEGMENT.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    segments.push({ base: Number(match[1]), path, size: (await stat(path)).size });
  }
  return segments.sort((a, b) => a.base - b.base);
}

/** Makes a created or removed file name durable (fsync of the directory). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
