import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Logger } from '../log.js';
import type { FileIdentity } from './file_identity.js';

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
 * (`KnownFields(true)`), so nothing else may be added to it: which file each
 * offset belongs to (device, inode, fingerprint of the first bytes; see
 * file_identity.ts) goes to a sidecar, `<filename>.files.json`, that Promtail
 * never reads. Each sidecar entry repeats its offset and counts only while the
 * positions file holds that same offset, so a crash between the two writes, a
 * hand edit or a Promtail run in between makes it void, never wrong.
 *
 * Writes are atomic: a temp file beside it, fsync, rename, fsync of the folder,
 * so a crash leaves either the old or the new file, never a torn one (the
 * sidecar is written first, the same way). Every
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

/** A sidecar entry: the identity of the file whose offset is `offset`. */
interface SavedIdentity extends FileIdentity {
  readonly offset: string;
}

const journalKeyPrefix = 'journal-';

/** Promtail's key for a non-file position (journal cursors and the like). */
export function cursorKey(name: string): string {
  return cursorKeyPrefix + name;
}

export class Positions {
  private readonly entries: Map<string, string>;
  private readonly identities: Map<string, SavedIdentity>;
  /** Whether a sidecar exists (read or written): then it is rewritten even when empty. */
  private sidecar: boolean;
  private timer: ReturnType<typeof setInterval> | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: PositionsOptions,
    entries: Map<string, string>,
    identities: Map<string, SavedIdentity>,
  ) {
    this.entries = entries;
    this.identities = identities;
    this.sidecar = identities.size > 0;
  }

  /** Reads the file (missing or empty: no positions) and starts the periodic sync. */
  static async open(options: PositionsOptions): Promise<Positions> {
    const entries = await readPositionsFile(options);
    const positions = new Positions(options, entries, await readSidecar(options));
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

  /** Which file the saved offset of `path` belongs to, when the sidecar says so for that very offset. */
  identity(path: string): FileIdentity | undefined {
    const saved = this.identities.get(path);
    return saved !== undefined && saved.offset === this.entries.get(path) ? saved : undefined;
  }

  /** Saves an offset with the identity of the file it belongs to. */
  putFile(path: string, offset: number, identity: FileIdentity): void {
    this.put(path, offset);
    const saved = this.identities.get(path);
    const next: SavedIdentity = { ...identity, offset: String(offset) };
    if (saved && sameIdentity(saved, next)) return;
    this.identities.set(path, next);
    this.dirty = true;
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
    this.identities.delete(key);
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
      const file = resolve(this.options.filename);
      if (this.sidecar || this.identities.size > 0) {
        await writeAtomically(sidecarName(file), this.renderSidecar());
        this.sidecar = true;
      }
      await writeAtomically(file, renderPositions(this.entries));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /** Only entries that agree with the positions: the others are void anyway. */
  private renderSidecar(): string {
    const files: Record<string, SavedIdentity> = {};
    for (const [path, saved] of [...this.identities].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (this.entries.get(path) === saved.offset) files[path] = saved;
    }
    return JSON.stringify({ version: 1, files }, null, 1) + '\n';
  }
}

function sameIdentity(a: SavedIdentity, b: SavedIdentity): boolean {
  return (
    a.offset === b.offset &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.headBytes === b.headBytes &&
    a.headSha256 === b.headSha256
  );
}

/** The sidecar beside the positions file. */
export function sidecarName(positionsFile: string): string {
  return `${positionsFile}.files.json`;
}

/** Missing or unreadable: no identities, so every saved offset is used as Promtail would. */
async function readSidecar(options: PositionsOptions): Promise<Map<string, SavedIdentity>> {
  const file = sidecarName(resolve(options.filename));
  const out = new Map<string, SavedIdentity>();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      options.logger.warn('ignoring unreadable positions sidecar', { file, error: (err as Error).message });
    return out;
  }
  try {
    const doc = JSON.parse(text) as { files?: Record<string, Partial<SavedIdentity>> };
    for (const [path, v] of Object.entries(doc.files ?? {})) {
      const valid =
        typeof v.offset === 'string' &&
        Number.isSafeInteger(v.dev) &&
        Number.isSafeInteger(v.ino) &&
        Number.isSafeInteger(v.headBytes) &&
        typeof v.headSha256 === 'string';
      if (valid) out.set(path, v as SavedIdentity);
    }
  } catch (err) {
    options.logger.warn('ignoring invalid positions sidecar', { file, error: (err as Error).message });
  }
  return out;
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
