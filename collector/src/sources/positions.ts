import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Logger } from '../log.js';

/**
 * The positions file, in Promtail's format so a Promtail install can switch over
 * without re-reading (or skipping) its logs:
 *
 *   positions:
 *     /var/log/nginx/access.log: "1234"
 *     cursor-journal: "s=abc..."
 *
 * Keys are absolute file paths (offsets in bytes, as strings) or, for sources
 * that are not files, `cursor-<name>` (Promtail's CursorKey; `journal-` is its
 * legacy form); those are never cleaned up. Promtail decodes this file strictly
 * (`KnownFields(true)`), so nothing else may be added to it: what the file source
 * needs to detect rotation (device and inode) stays in memory.
 *
 * Writes are atomic: a temp file beside it, fsync, rename, fsync of the folder,
 * so a crash leaves either the old or the new file, never a torn one. Every
 * `sync_period` the file is written and entries for files that no longer exist
 * are dropped (Promtail's cleanup); stop() writes it one last time.
 */
export interface PositionsOptions {
  /** `positions.filename`; Promtail's default is /var/log/positions.yaml. */
  filename: string;
  /** `positions.sync_period` in milliseconds (Promtail: 10s). */
  syncPeriodMs: number;
  /** `positions.ignore_invalid_yaml`: a corrupt file starts empty instead of failing start-up. */
  ignoreInvalidYaml: boolean;
  /** Never write (dry runs). */
  readOnly?: boolean;
  logger: Logger;
}

const cursorKeyPrefix = 'cursor-';
const journalKeyPrefix = 'journal-';

/** Promtail's key for a non-file position (journal cursors and the like). */
export function cursorKey(name: string): string {
  return cursorKeyPrefix + name;
}

export class Positions {
  private readonly entries: Map<string, string>;
  private timer: ReturnType<typeof setInterval> | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: PositionsOptions,
    entries: Map<string, string>,
  ) {
    this.entries = entries;
  }

  /** Reads the file (missing or empty: no positions) and starts the periodic sync. */
  static async open(options: PositionsOptions): Promise<Positions> {
    const positions = new Positions(options, await readPositionsFile(options));
    if (options.syncPeriodMs > 0) {
      positions.timer = setInterval(() => void positions.sync(), options.syncPeriodMs);
      positions.timer.unref();
    }
    return positions;
  }

  /** The saved byte offset of `path`; 0 when none is saved. Throws if the value is not an integer. */
  get(path: string): number {
    const value = this.entries.get(path);
    if (value === undefined) return 0;
    if (!/^-?\d+$/.test(value)) throw new Error(`position of ${path} is not an integer: "${value}"`);
    return Number(value);
  }

  getString(key: string): string | undefined {
    return this.entries.get(key);
  }

  put(path: string, offset: number): void {
    this.putString(path, String(offset));
  }

  putString(key: string, value: string): void {
    if (this.entries.get(key) === value) return;
    this.entries.set(key, value);
    this.dirty = true;
  }

  remove(key: string): void {
    if (this.entries.delete(key)) this.dirty = true;
  }

  /** A copy of every entry, for tests and /debug. */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.entries);
  }

  /** Writes the file now (atomically); concurrent calls are serialised. */
  save(): Promise<void> {
    const run = this.writing.then(() => this.write());
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Stops the periodic sync and writes the file one last time. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.dirty = true;
    await this.save();
  }

  private async sync(): Promise<void> {
    try {
      await this.cleanup();
      if (this.dirty) await this.save();
    } catch (err) {
      this.options.logger.error('error writing positions file', {
        file: this.options.filename,
        error: (err as Error).message,
      });
    }
  }

  /** Drops entries for files that no longer exist, as Promtail does on each sync. */
  private async cleanup(): Promise<void> {
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(cursorKeyPrefix) || key.startsWith(journalKeyPrefix)) continue;
      try {
        await stat(key);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.remove(key);
      }
    }
  }

  private async write(): Promise<void> {
    if (this.options.readOnly) return;
    this.dirty = false;
    try {
      await writeAtomically(resolve(this.options.filename), renderPositions(this.entries));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}

/** Renders Promtail's layout: plain keys where YAML allows, offsets always quoted. */
export function renderPositions(entries: ReadonlyMap<string, string>): string {
  if (entries.size === 0) return 'positions: {}\n';
  const keys = [...entries.keys()].sort();
  let out = 'positions:\n';
  for (const key of keys) {
    const plain = /^[A-Za-z0-9_/][A-Za-z0-9_./@+=-]*$/.test(key);
    out += `  ${plain ? key : JSON.stringify(key)}: ${JSON.stringify(entries.get(key))}\n`;
  }
  return out;
}

async function readPositionsFile(options: PositionsOptions): Promise<Map<string, string>> {
  const file = resolve(options.filename);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  try {
    return parsePositions(text);
  } catch (err) {
    if (options.ignoreInvalidYaml) {
      options.logger.debug('ignoring invalid positions file', { file, error: (err as Error).message });
      return new Map();
    }
    throw new Error(`invalid yaml positions file [${file}]: ${(err as Error).message}`, { cause: err });
  }
}

/** Strict like Promtail: only a `positions` map of scalars; anything else is invalid. */
export function parsePositions(text: string): Map<string, string> {
  const doc: unknown = parse(text);
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a mapping at the top level');
  const extra = Object.keys(doc).filter((k) => k !== 'positions');
  if (extra.length > 0) throw new Error(`field ${extra[0]} not found in type positions.File`);
  const positions = (doc as { positions?: unknown }).positions;
  if (positions === null || positions === undefined) return new Map();
  if (typeof positions !== 'object' || Array.isArray(positions))
    throw new Error('positions must be a mapping');
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(positions)) {
    if (typeof value === 'object' && value !== null) throw new Error(`position of ${key} must be a scalar`);
    out.set(key, value === null ? '' : String(value));
  }
  return out;
}

/** temp file + fsync + rename + fsync(dir): the old or the new content survives a crash. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(temp, file);
  const dir = await open(dirname(file), constants.O_RDONLY);
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
