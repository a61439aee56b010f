import { stat } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { newEntry, type Entry, type FileRef } from '../pipeline/entry.js';
import { systemClock, type Clock } from '../pipeline/stage.js';
import { fileMetrics, type FileMetrics } from './file_metrics.js';
import { DirWatcher } from './dir_watcher.js';
import { forgetVanished, planStarts, releasePosition, savedOffset, type ResumePlan } from './file_start.js';
import { buildFileTargets, type FileTarget } from './file_targets.js';
import type { Positions } from './positions.js';
import type { Batch, FilePosition, Source } from './source.js';
import { FileTailer, type TailPart } from './tailer.js';
import { WakeSignal } from './wake_signal.js';

/**
 * The file source: Promtail's file targets (`static_configs` with `__path__`).
 *
 * Targets are label sets after relabelling. As in Promtail, `__path__` is a
 * doublestar glob (required: a target without it is dropped), `__path_exclude__`
 * removes matches, a `__host__` other than this host drops the target, every
 * label starting with `__` is then removed, and each entry gets a `filename`
 * label with the file's absolute path. Entries carry the read time, made
 * strictly increasing per file so Loki never collapses two equal lines.
 *
 * Discovery: the globs are re-listed every `sync_period` (target_config, 10s)
 * and at once when a watched folder reports a created, renamed or deleted file.
 * One tailer reads each file from its saved position, checked against the
 * file identity saved with it (file_start.ts: a file rotated or rewritten while
 * the collector was down starts at 0, and a rotated one's unread tail is
 * finished first); see tailer.ts for lines, partial lines and truncation.
 *
 * Rotation: when the path names another device+inode (rename + create), the old
 * file is finished first: it is read until it has stayed idle for `rotate_drain`
 * (writers may append a moment after the rename), then closed; the new file is
 * read from 0 meanwhile, and the path's position follows the new file. A file
 * that leaves the glob (deleted, renamed away) is drained the same way, then
 * forgotten along with its position.
 *
 * Backpressure and durability: nothing is read until the consumer pulls; a batch
 * holds at most `maxBatchLines` lines and about `maxBatchBytes` bytes, and the
 * positions move only when a batch is acked (in read order per file). Each
 * batch also names, per file, the offset past its lines (`Batch.positions`),
 * which the spool keeps with the entries so a crash never re-reads them.
 */
export interface FileSourceOptions {
  /** Label sets after relabelling, each with `__path__` and optionally `__path_exclude__`. */
  targets: ReadonlyArray<Readonly<Record<string, string>>>;
  positions: Positions;
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  /** `target_config.sync_period`: how often the globs are re-listed. Default 10 s. */
  syncPeriodMs?: number;
  /** How often idle files are checked for new data and rotation. Default 250 ms (Promtail's poll). */
  pollIntervalMs?: number;
  /** How long a rotated-away file must stay idle before it is closed. Default 1 s. */
  rotateDrainMs?: number;
  /**
   * A batch's bounds: default 1000 lines and 256 KiB. A batch's entries are
   * the young objects that live longest (read, through the pipeline, spooled);
   * the byte bound keeps long lines from making them outlive the 4 MiB young
   * generation the CLI gives V8 (young_generation.ts), which would fill the old
   * generation. 500 lines: 5 MB less resident, about 1 cpu-s more per million.
   */
  maxBatchLines?: number;
  maxBatchBytes?: number;
  /** A single line longer than this is split. Default 16 MiB. */
  maxLineBytes?: number;
  /** Watch folders for new files (inotify) besides the periodic sync. Default true. */
  watch?: boolean;
  /** For `__host__`; default the OS host name. */
  hostname?: string;
}

/** Everything about one path: the file it names now, and older files being finished. */
interface TrackedPath {
  readonly path: string;
  readonly labels: Record<string, string>;
  active: FileTailer | undefined;
  draining: { tailer: FileTailer; idleSince: number }[];
  /**
   * A file rotated away while we were down, being finished: until it is (read
   * to its end and acked), the path's position stays on it and the new file
   * waits, so a stop in between neither loses its tail nor repeats new lines.
   */
  finishing?: FileTailer;
  inGlob: boolean;
  /** Never opened in this process: the first open starts at the saved position. */
  fresh: boolean;
  lastTs: bigint;
  /**
   * The active file had nothing new: do not look again before this time
   * (performance.now ms) unless the folder watch names it. Keeps a busy file
   * from making every idle one cost two syscalls per batch.
   */
  idleUntil: number;
}

/** A file source; `ready()` resolves once the first discovery has opened the files (for /ready). */
export interface FileSourceHandle extends Source {
  ready(): Promise<void>;
}

export function createFileSource(options: FileSourceOptions): FileSourceHandle {
  return new FileSource(options);
}

class FileSource implements FileSourceHandle {
  readonly kind = 'file';
  private readonly targets: FileTarget[];
  private readonly paths = new Map<string, TrackedPath>();
  private readonly watcher = new DirWatcher((path, renamed) => this.onDirEvent(path, renamed));
  private readonly signal = new WakeSignal();
  private readonly metrics: FileMetrics;
  private readonly clock: Clock;
  private readonly syncPeriodMs: number;
  private readonly pollIntervalMs: number;
  private readonly rotateDrainMs: number;
  private readonly maxBatchLines: number;
  private readonly maxBatchBytes: number;
  private readonly maxLineBytes: number;
  private stopped = false;
  private needSync = false;
  private nextSyncAt = 0;
  private cursor = 0;
  /** The read or discovery in progress, which stop() must let finish before closing files. */
  private busy: Promise<unknown> = Promise.resolve();
  private readonly firstSync: Promise<void>;

  constructor(private readonly options: FileSourceOptions) {
    this.metrics = fileMetrics(options.metrics);
    this.clock = options.clock ?? systemClock;
    this.syncPeriodMs = options.syncPeriodMs ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.rotateDrainMs = options.rotateDrainMs ?? 1000;
    this.maxBatchLines = options.maxBatchLines ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? 256 << 10;
    this.maxLineBytes = options.maxLineBytes ?? 16 << 20;
    this.targets = buildFileTargets(options.targets, options.hostname ?? osHostname(), options.logger);
    // Discovery starts at once, so the files are open (and positions checked) before
    // anything else happens to them; reading waits for the consumer.
    this.firstSync = this.sync().catch((err: unknown) => {
      options.logger.error('file discovery failed', { error: err });
    });
  }

  ready(): Promise<void> {
    return this.firstSync;
  }

  batches(): AsyncIterable<Batch> {
    return { [Symbol.asyncIterator]: () => this.iterate() };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signal.wake();
    this.watcher.close();
    await this.firstSync;
    // Not waiting for the consumer: it may hold a batch for a long time (Loki down).
    await this.busy;
    await this.closeAll();
  }

  private async *iterate(): AsyncGenerator<Batch> {
    try {
      await this.firstSync;
      while (!this.stopped) {
        if (this.needSync || performance.now() >= this.nextSyncAt) await this.work(this.sync());
        if (this.stopped) break;
        const batch = await this.work(this.collect());
        if (batch) {
          yield batch;
          continue;
        }
        await this.signal.wait(
          Math.max(0, Math.min(this.pollIntervalMs, this.nextSyncAt - performance.now())),
        );
      }
    } finally {
      await this.closeAll();
    }
  }

  private work<T>(task: Promise<T>): Promise<T> {
    this.busy = task.catch(() => undefined);
    return task;
  }

  /** Re-lists every glob: starts tailers for new paths, drains paths that left. */
  private async sync(): Promise<void> {
    this.needSync = false;
    this.nextSyncAt = performance.now() + this.syncPeriodMs;
    const seen = new Map<string, FileTarget>();
    for (const target of this.targets) {
      try {
        for (const path of await target.matcher.list()) if (!seen.has(path)) seen.set(path, target);
      } catch (err) {
        this.options.logger.error('error listing files', { path: target.matcher.pattern, error: err });
      }
    }
    const fresh = [...seen.keys()].filter((path) => !this.paths.has(path));
    const plans = await planStarts(fresh, new Set(seen.keys()), this.options.positions, this.options.logger);
    for (const [path, target] of seen) {
      let tracked = this.paths.get(path);
      if (!tracked) {
        tracked = {
          path,
          labels: { ...target.labels, filename: path },
          active: undefined,
          draining: [],
          inGlob: true,
          fresh: true,
          lastTs: 0n,
          idleUntil: 0,
        };
        this.paths.set(path, tracked);
      }
      tracked.inGlob = true;
      if (!tracked.active) await this.openActive(tracked, plans.get(path));
    }
    for (const tracked of this.paths.values()) {
      if (seen.has(tracked.path) || !tracked.inGlob) continue;
      tracked.inGlob = false;
      this.retire(tracked);
      // Whatever appears at this path later is another file: never resume it at this offset.
      this.options.positions.remove(tracked.path);
    }
    forgetVanished(this.options.positions, seen, this.paths, this.targets);
    this.updateWatches(seen.keys());
  }

  /** Opens the file the path names now: as planned (file_start.ts) the first time, else from 0. */
  private async openActive(tracked: TrackedPath, plan?: ResumePlan): Promise<void> {
    const { path } = tracked;
    try {
      const st = await stat(path);
      const back = tracked.draining.findIndex((d) => d.tailer.ino === st.ino && d.tailer.dev === st.dev);
      if (back >= 0) {
        // The same file came back into the glob: keep reading it where we were.
        tracked.active = tracked.draining.splice(back, 1)[0]!.tailer;
        return;
      }
      const { positions, logger } = this.options;
      const offset = tracked.fresh ? (plan?.offset ?? savedOffset(positions, path, logger)) : 0;
      // Commits move the path's position only while this tailer is the path's file
      // (open() may already commit, before it returns: a saved offset past the end).
      const owner: { tailer?: FileTailer } = {};
      const tailer = await FileTailer.open(path, offset, {
        maxLineBytes: this.maxLineBytes,
        onCommit: (committed, identity) => {
          if (tracked.finishing) return;
          if (owner.tailer === undefined || tracked.active === owner.tailer) {
            positions.putFile(path, committed, identity);
          }
        },
      });
      owner.tailer = tailer;
      if (tracked.fresh && plan?.drain) await this.finishOld(tracked, plan.drain);
      // The position now names this file (saved with its identity, so a restart knows it).
      if (!tracked.finishing) positions.putFile(path, tailer.readOffset, tailer.identity(tailer.readOffset));
      tracked.fresh = false;
      tracked.active = tailer;
      tracked.idleUntil = 0;
      this.metrics.filesActive.inc();
      this.options.logger.debug('tailing file', { path, offset: tailer.readOffset });
    } catch (err) {
      this.options.logger.error('failed to tail file', { path, error: err });
    }
  }

  /** Rotated while we were down: the old file's unread tail is drained like a rotation seen live. */
  private async finishOld(tracked: TrackedPath, old: { path: string; offset: number }): Promise<void> {
    try {
      const self: { tailer?: FileTailer } = {};
      const tailer = await FileTailer.open(old.path, old.offset, {
        maxLineBytes: this.maxLineBytes,
        onCommit: (committed, identity) => {
          if (!self.tailer || tracked.finishing === self.tailer)
            this.options.positions.putFile(tracked.path, committed, identity);
        },
      });
      self.tailer = tracked.finishing = tailer;
      tracked.draining.push({ tailer, idleSince: performance.now() });
      this.metrics.filesActive.inc();
    } catch (err) {
      this.options.logger.error('failed to finish rotated file', { path: old.path, error: err });
    }
  }

  /** The path no longer names the active file: finish reading it, then close it. */
  private retire(tracked: TrackedPath): void {
    if (!tracked.active) return;
    tracked.draining.push({ tailer: tracked.active, idleSince: performance.now() });
    tracked.active = undefined;
  }

  /** Reads what is available, round-robin over paths, into one bounded batch. */
  private async collect(): Promise<Batch | undefined> {
    const entries: Entry[] = [];
    const parts: TailPart[] = [];
    const positions: FilePosition[] = [];
    let bytes = 0;
    const list = [...this.paths.values()];
    for (let i = 0; i < list.length && !this.stopped; i++) {
      const tracked = list[(this.cursor + i) % list.length]!;
      const now = performance.now();
      for (const tailer of this.readersOf(tracked)) {
        if (tailer === tracked.active && (now < tracked.idleUntil || tracked.finishing)) continue;
        const linesLeft = this.maxBatchLines - entries.length;
        const bytesLeft = this.maxBatchBytes - bytes;
        if (linesLeft <= 0 || bytesLeft <= 0) break;
        const read = await this.readFrom(tracked, tailer, linesLeft, bytesLeft);
        if (!read) continue;
        let ts = this.clock.now();
        // Each entry knows its line's place, so a stage holding it can say where to resume.
        const file: FileRef = { path: tracked.path, dev: tailer.dev, ino: tailer.ino };
        const { lines, ends } = read;
        let start = read.start;
        for (let n = 0; n < lines.length; n++) {
          ts = ts > tracked.lastTs ? ts : tracked.lastTs + 1n;
          tracked.lastTs = ts;
          const end = ends[n]!;
          entries.push(newEntry(lines[n]!, tracked.labels, ts, {}, { file, start, end }));
          start = end;
        }
        bytes += read.bytes;
        parts.push(read.part);
        // Under the path's name, even for an old file found elsewhere (file_start.ts).
        positions.push({ path: tracked.path, dev: tailer.dev, ino: tailer.ino, offset: read.part.end });
        this.metrics.readLines.inc({ path: tracked.path }, read.lines.length);
        this.metrics.readBytes.set({ path: tracked.path }, tailer.readOffset);
        this.metrics.fileBytes.set({ path: tracked.path }, tailer.size);
      }
      if (entries.length >= this.maxBatchLines || bytes >= this.maxBatchBytes) {
        this.cursor = (this.cursor + i + 1) % Math.max(1, list.length);
        break;
      }
    }
    if (entries.length === 0) return undefined;
    let acked = false;
    return {
      entries,
      // Spooled with the entries: after a crash, reading resumes past them (agent.ts).
      positions,
      ack: () => {
        if (acked) return;
        acked = true;
        for (const part of parts) part.tailer.ack(part);
      },
    };
  }

  /** Older files first, so a rotated file's last lines come before the new file's. */
  private readersOf(tracked: TrackedPath): FileTailer[] {
    const readers = tracked.draining.map((d) => d.tailer);
    if (tracked.active) readers.push(tracked.active);
    return readers;
  }

  private async readFrom(tracked: TrackedPath, tailer: FileTailer, lines: number, bytes: number) {
    try {
      if (tailer === tracked.active) {
        const read = await tailer.read(lines, bytes);
        if (!read) {
          tracked.idleUntil = performance.now() + this.pollIntervalMs;
          await this.checkRotation(tracked, tailer);
        }
        return read;
      }
      const draining = tracked.draining.find((d) => d.tailer === tailer)!;
      const idle = performance.now() - draining.idleSince >= this.rotateDrainMs;
      const read = await tailer.read(lines, bytes, idle);
      if (read) draining.idleSince = performance.now();
      else if (idle) await this.finishDrain(tracked, tailer);
      return read;
    } catch (err) {
      this.options.logger.error('error reading file', { path: tracked.path, error: err });
      return undefined;
    }
  }

  /** At end of data: does the path still name this file? */
  private async checkRotation(tracked: TrackedPath, tailer: FileTailer): Promise<void> {
    let st;
    try {
      st = await stat(tracked.path);
    } catch {
      return; // gone for now: the next sync decides whether it left the glob
    }
    if (st.ino === tailer.ino && st.dev === tailer.dev) return;
    this.options.logger.info('file rotated, finishing the old one', { path: tracked.path });
    this.retire(tracked);
    await this.openActive(tracked);
  }

  private async finishDrain(tracked: TrackedPath, tailer: FileTailer): Promise<void> {
    if (tracked.finishing === tailer) {
      if (!tailer.settled) return; // its last lines are not durable yet: keep the position on it
      tracked.finishing = undefined;
      const { active } = tracked;
      if (active)
        this.options.positions.putFile(tracked.path, active.readOffset, active.identity(active.readOffset));
    }
    tracked.draining = tracked.draining.filter((d) => d.tailer !== tailer);
    await tailer.close();
    this.metrics.filesActive.dec();
    if (!tracked.active && tracked.draining.length === 0 && !tracked.inGlob) {
      this.paths.delete(tracked.path);
      this.options.positions.remove(tracked.path);
      this.metrics.forget(tracked.path);
      this.options.logger.debug('stopped tailing file', { path: tracked.path });
    }
  }

  private updateWatches(paths: Iterable<string>): void {
    if (this.options.watch === false || this.stopped) return;
    const dirs = new Set<string>();
    for (const path of paths) dirs.add(dirname(path));
    for (const target of this.targets) dirs.add(target.matcher.base);
    this.watcher.update(dirs);
  }

  /** A folder event: re-list on creations and renames, look at the named file now. */
  private onDirEvent(path: string | undefined, renamed: boolean): void {
    if (renamed) this.needSync = true;
    const tracked = path ? this.paths.get(path) : undefined;
    if (tracked) tracked.idleUntil = 0;
    this.signal.wake();
  }

  /** Closes every file; safe to call twice (stop() and the end of iteration). */
  private async closeAll(): Promise<void> {
    const all = [...this.paths.values()];
    this.paths.clear();
    for (const tracked of all) {
      const readers = this.readersOf(tracked);
      // Detached: late acks must not move a position that now names another file.
      if (tracked.active && (await releasePosition(this.options.positions, tracked.path, tracked.active)))
        tracked.active = undefined;
      for (const tailer of readers) {
        await tailer.close();
        this.metrics.filesActive.dec();
      }
      this.metrics.forget(tracked.path);
    }
  }
}
