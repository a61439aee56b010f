import { mkdir, open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Entry } from '../pipeline/entry.js';
import type { FilePosition } from '../sources/source.js';
import { readAcks, writeAcks } from './acks.js';
import {
  decodePositions,
  encodeRecordPayload,
  RecordBatch,
  RecordEncoder,
  type SpooledBatch,
} from './codec.js';
import { spoolMetrics, type SpoolMetrics } from './metrics.js';
import { CommitBuffers } from './commit_buffers.js';
import { scanAt, sealRecord } from './record.js';
import { readSegment, type ReadBuffer } from './segment_reader.js';
import { listSegments, segmentPath, syncDirectory } from './segments.js';

export interface SpoolOptions {
  /** Every client that must acknowledge an entry before it may be deleted. */
  clients: readonly string[];
  /** `spool.max_bytes`: segment bytes on disk; appends wait beyond it. Default 1 GiB. */
  maxBytes?: number;
  /** Group commit: appends within this window share one write + fdatasync. Default 10 ms. */
  fsyncIntervalMs?: number;
  /** A segment is closed past this size. Default maxBytes/8, within [64 KiB, 64 MiB]. */
  segmentBytes?: number;
  metrics?: Registry;
  logger?: Logger;
}

export interface Spool {
  /**
   * Writes the entries as one record; resolves once they are on disk
   * (fdatasync done). Waits while the spool is at max_bytes, so a caller that
   * awaits it (the file tailer) stops reading: the data stays in its files.
   * Waits too while the disk is full (ENOSPC, EDQUOT), retrying each second.
   * The entries are encoded before it returns: the caller need not keep them.
   */
  append(entries: readonly Entry[], positions?: readonly FilePosition[]): Promise<void>;
  /**
   * The newest durable position per file (path + device + inode): at open,
   * what the records a previous run left say, so the agent can resume each
   * file past what is already spooled; later, also what appends carried.
   */
  positions(): FilePosition[];
  /**
   * The records a client has not acknowledged yet, oldest first, then new ones
   * as they become durable; ends at close(). Each batch's ack() records the
   * client's progress (acks must come in order, as LokiClient gives them).
   */
  reader(client: string): AsyncIterable<SpooledBatch>;
  /** True while at max_bytes: push/syslog receivers answer 429 or stop reading. */
  readonly full: boolean;
  /** Bytes durable in the spool that `client` has not acknowledged yet (0 = caught up). */
  lag(client: string): number;
  /** Flushes pending appends, saves acks, ends the readers. */
  close(): Promise<void>;
}

interface Segment {
  base: number;
  path: string;
  /** Bytes durable on disk (readers never look past this). */
  size: number;
  records: number;
  /** Only the newest segment has one; older segments are closed. */
  handle?: FileHandle;
}

interface Pending {
  record: Buffer;
  positions: readonly FilePosition[] | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Files whose position the spool remembers; the least recently moved are forgotten past this. */
const MAX_POSITIONS = 10_000;
/** How often a write that found the disk full is tried again. */
const DISK_FULL_RETRY_MS = 1000;
const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Opens (or creates) a spool in `dir`: the collector's on-disk buffer between
 * the pipeline and the Loki clients.
 *
 * Layout: segment files `<offset>.seg` of checksummed records (record.ts),
 * one record per append, plus `acks.json` (how far each client got). An entry
 * is deleted (its whole segment, once closed) only when every client in
 * `clients` acknowledged past it. After a crash, readers resume at the last
 * saved ack: what Loki got is sent again with the same timestamps and lines,
 * which Loki collapses. Damaged or torn records found at start-up are skipped
 * and counted (`whodunit_spool_corrupt_records_total`), never fatal.
 */
export async function openSpool(dir: string, options: SpoolOptions): Promise<Spool> {
  const maxBytes = options.maxBytes ?? 1024 * MiB;
  const fsyncIntervalMs = options.fsyncIntervalMs ?? 10;
  const segmentBytes =
    options.segmentBytes ?? Math.min(64 * MiB, Math.max(64 * KiB, Math.floor(maxBytes / 8)));
  const metrics: SpoolMetrics = spoolMetrics(options.metrics ?? new Registry());
  const logger = options.logger;
  const clients = [...new Set(options.clients)];

  await mkdir(dir, { recursive: true });
  const acks = await readAcks(dir);
  for (const client of [...acks.keys()]) if (!clients.includes(client)) acks.delete(client);

  /** Newest durable position per file, oldest first (see remember()). */
  const latest = new Map<string, FilePosition>();
  const remember = (positions: readonly FilePosition[]) => {
    for (const position of positions) {
      const key = `${position.dev}:${position.ino}:${position.path}`;
      latest.delete(key);
      latest.set(key, position);
      if (latest.size > MAX_POSITIONS) latest.delete(latest.keys().next().value!);
    }
  };

  // Start-up scan: count records and damage in what a previous run left, and
  // collect the file positions the records carry (oldest first, newest wins).
  const segments: Segment[] = [];
  let corrupt = 0;
  for (const file of await listSegments(dir)) {
    if (file.size === 0) {
      // Created by a run that died before its first write: nothing to keep, and
      // its name may be the one the new segment needs.
      await unlink(file.path);
      continue;
    }
    const data = await readFile(file.path);
    let records = 0;
    for (let at = 0; at < data.length;) {
      const step = scanAt(data, at, true);
      if (step.kind === 'record') {
        records++;
        try {
          remember(decodePositions(step.payload));
        } catch {
          corrupt++; // checksummed yet unreadable: not ours to trust
        }
      } else if (step.kind === 'corrupt') corrupt++;
      at = step.kind === 'incomplete' ? data.length : step.end;
    }
    segments.push({ base: file.base, path: file.path, size: file.size, records });
  }
  if (corrupt > 0) {
    metrics.corruptRecords.inc(corrupt);
    logger?.warn('spool: damaged records skipped', { dir, regions: corrupt });
  }

  const lastEnd =
    segments.length > 0 ? segments[segments.length - 1]!.base + segments[segments.length - 1]!.size : 0;
  const newBase = Math.max(lastEnd, ...acks.values(), 0);

  let totalBytes = segments.reduce((sum, s) => sum + s.size, 0);
  let reservedBytes = 0;
  /** close() was called: a write waiting for disk space gives up. */
  let closing = false;
  let closed = false;
  let queue: Pending[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let acksDirty = false;
  let acksTimer: NodeJS.Timeout | undefined;
  /** Appends waiting for room, oldest first, each with the bytes it needs. */
  const spaceWaiters: { bytes: number; wake: () => void }[] = [];
  const dataWaiters = new Set<() => void>();
  /** Segment reads in progress, closed by close() if their reader was abandoned. */
  const openReads = new Set<AsyncGenerator<unknown>>();
  const encoder = new RecordEncoder();
  const commitBuffers = new CommitBuffers();

  const fits = (bytes: number) =>
    totalBytes + reservedBytes + bytes <= maxBytes || totalBytes + reservedBytes === 0;
  const isFull = () => spaceWaiters.length > 0 || totalBytes + reservedBytes >= maxBytes;
  const updateGauges = () => {
    metrics.bytes.set(totalBytes);
    metrics.records.set(segments.reduce((sum, s) => sum + s.records, 0));
    metrics.full.set(isFull() ? 1 : 0);
  };

  const openSegment = async (base: number): Promise<Segment> => {
    const path = segmentPath(dir, base);
    const handle = await open(path, 'w');
    try {
      await syncDirectory(dir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const segment: Segment = { base, path, size: 0, records: 0, handle };
    segments.push(segment);
    return segment;
  };
  let active = await openSegment(newBase);

  /**
   * A record with no entries that carries every remembered position. Each
   * segment starts with one, so deleting older segments (acknowledged by
   * every client) never loses the position of a file quiet since then.
   */
  const snapshotRecord = (): Buffer | undefined =>
    latest.size > 0 ? sealRecord(encodeRecordPayload([], [...latest.values()])) : undefined;
  {
    // Before release() may delete the old segments that held them.
    const snapshot = snapshotRecord();
    if (snapshot) {
      await active.handle!.write(snapshot, 0, snapshot.length, 0);
      await active.handle!.datasync();
      active.size = snapshot.length;
      active.records = 1;
      totalBytes += snapshot.length;
    }
  }

  const ackedByAll = () => {
    let min = Infinity;
    for (const client of clients) min = Math.min(min, acks.get(client) ?? 0);
    return min;
  };

  /** Deletes closed segments every client is past; wakes appends waiting for room. */
  const release = async () => {
    const upto = ackedByAll();
    while (segments.length > 1 && segments[0] !== active && segments[0]!.base + segments[0]!.size <= upto) {
      const segment = segments.shift()!;
      await unlink(segment.path).catch(() => undefined);
      totalBytes -= segment.size;
    }
    updateGauges();
    // First come, first served: a big append is not starved by small ones behind it.
    while (spaceWaiters.length > 0 && fits(spaceWaiters[0]!.bytes)) {
      const waiter = spaceWaiters.shift()!;
      reservedBytes += waiter.bytes;
      waiter.wake();
    }
    updateGauges();
  };

  /**
   * Writes the records at the end of the active segment and syncs them; first
   * closes the segment when big, or when everything in it is acknowledged and
   * room is short (`rotate`). Safe to call again after it failed: what a
   * failed write left past the segment's durable size is overwritten.
   * Returns the bytes written, the new segment's position snapshot included.
   */
  const writeRecords = async (records: Buffer[], rotate: boolean): Promise<number> => {
    if (active.handle && (active.size >= segmentBytes || rotate)) {
      await active.handle.close();
      delete active.handle;
    }
    if (!active.handle) active = await openSegment(active.base + active.size);
    const snapshot = active.size === 0 ? snapshotRecord() : undefined;
    const buffers = snapshot ? [snapshot, ...records] : records;
    await active.handle!.writev(buffers, active.size);
    await active.handle!.datasync();
    active.records += buffers.length;
    return buffers.reduce((sum, b) => sum + b.length, 0);
  };

  let diskFull = false;
  /**
   * A full disk pauses instead of failing: the appends wait (their batches
   * are not acked, so their lines wait in their files) and the write is tried
   * again each second, until it succeeds or the spool closes. Acknowledged
   * segments are deleted meanwhile: this holds the flush chain release() runs
   * on, and the spool may be what fills the disk. Not covered by a test (needs
   * a filesystem that can fill up).
   */
  const writeWhenRoom = async (records: Buffer[], rotate: boolean): Promise<number> => {
    for (;;) {
      try {
        const bytes = await writeRecords(records, rotate);
        if (diskFull) logger?.info('spool: disk space available again; writing resumed', { dir });
        diskFull = false;
        return bytes;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code !== 'ENOSPC' && code !== 'EDQUOT') || closing) throw error;
        if (!diskFull) logger?.error('spool: disk full; reading paused until space is freed', { dir });
        diskFull = true;
        await new Promise((resolve) => setTimeout(resolve, DISK_FULL_RETRY_MS));
        await release();
      }
    }
  };

  const flush = async () => {
    flushTimer = undefined;
    const group = queue;
    queue = [];
    if (group.length === 0) return;
    const written = commitBuffers.swap();
    try {
      const drained = active.size > 0 && ackedByAll() >= active.base + active.size;
      const records = group.map((p) => p.record);
      const bytes = records.reduce((sum, b) => sum + b.length, 0);
      const total = await writeWhenRoom(records, drained && spaceWaiters.length > 0);
      active.size += total;
      totalBytes += total;
      reservedBytes -= bytes;
      for (const p of group) if (p.positions) remember(p.positions);
      updateGauges();
      for (const p of group) p.resolve();
      for (const wake of dataWaiters) wake();
      await release();
    } catch (error) {
      reservedBytes -= group.reduce((sum, p) => sum + p.record.length, 0);
      for (const p of group) p.reject(error);
    } finally {
      written();
    }
  };

  const scheduleFlush = () => {
    if (flushTimer) return;
    flushTimer = setTimeout(() => {
      flushing = flushing.then(flush);
    }, fsyncIntervalMs);
  };

  let acksWrite: Promise<void> = Promise.resolve();
  /** Saves acks.json; writes are chained so two never race on the temp file. */
  const saveAcks = () => {
    acksTimer = undefined;
    acksWrite = acksWrite.then(async () => {
      if (!acksDirty) return;
      acksDirty = false;
      await writeAcks(dir, acks).catch((error: unknown) =>
        logger?.warn('spool: cannot save acks', { error: String(error) }),
      );
    });
    return acksWrite;
  };

  const ack = (client: string, offset: number) => {
    if ((acks.get(client) ?? -1) >= offset) return;
    acks.set(client, offset);
    acksDirty = true;
    acksTimer ??= setTimeout(() => void saveAcks(), Math.max(fsyncIntervalMs, 200));
    flushing = flushing.then(release);
  };

  await release();

  async function* reader(client: string): AsyncGenerator<SpooledBatch> {
    if (!clients.includes(client))
      throw new Error(`spool: unknown client ${client} (known: ${clients.join(', ')})`);
    let position = acks.get(client) ?? 0;
    /**
     * One read buffer for the reader's life, not 1 MiB per read: those views
     * outlived young-generation GCs in the clients' batches and piled up
     * outside the heap. Batches lent from it are detached (copied unless
     * released) before it is refilled.
     */
    const buffer: ReadBuffer = {
      bytes: Buffer.alloc(0),
      lent: [],
      recycle() {
        for (const batch of this.lent) batch.detach();
        this.lent = [];
      },
    };
    for (;;) {
      if (closed) return;
      const index = segments.findLastIndex((s) => s.base <= position);
      const segment = segments[Math.max(index, 0)];
      if (!segment) return;
      if (position < segment.base) position = segment.base;
      const isLast = segment === segments[segments.length - 1];
      if (position >= segment.base + segment.size) {
        if (!isLast) {
          position = segments[segments.indexOf(segment) + 1]!.base;
          continue;
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            dataWaiters.delete(wake);
            resolve();
          };
          dataWaiters.add(wake);
        });
        continue;
      }
      const steps = readSegment(
        segment.path,
        position - segment.base,
        segment.size,
        !isLast || !segment.handle,
        buffer,
      );
      openReads.add(steps);
      try {
        for await (const step of steps) {
          position = segment.base + step.end;
          if (step.payload === undefined) continue;
          const end = position;
          const batch = new RecordBatch(step.payload, () => ack(client, end));
          buffer.lent.push(batch);
          yield batch;
          if (closed) return;
        }
      } catch (error) {
        // Deleted under us (only possible once every client is past it): look again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || closed) throw error;
        if (segments.includes(segment)) throw error;
      } finally {
        openReads.delete(steps);
      }
    }
  }

  return {
    get full() {
      return isFull();
    },
    async append(entries, positions) {
      if (closed) throw new Error('spool: closed');
      if (entries.length === 0) return;
      // Encoded in the encoder's buffer (valid until the next encode), then held
      // for the group commit: in the commit buffers, or on its own while it waits.
      const encoded = sealRecord(encoder.encode(entries, positions));
      let record: Buffer;
      // Wait for room (release() reserves it for us); a record bigger than the
      // whole spool still goes in once the spool is empty.
      if (spaceWaiters.length > 0 || !fits(encoded.length)) {
        record = Buffer.from(encoded);
        const room = new Promise<void>((wake) => spaceWaiters.push({ bytes: record.length, wake }));
        updateGauges();
        flushing = flushing.then(release);
        await room;
        if (closed) throw new Error('spool: closed');
      } else {
        record = commitBuffers.hold(encoded);
        reservedBytes += record.length;
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ record, positions, resolve, reject });
        scheduleFlush();
      });
    },
    reader,
    positions: () => [...latest.values()],
    lag(client) {
      const end = active.base + active.size;
      return Math.max(0, end - Math.max(acks.get(client) ?? 0, segments[0]?.base ?? 0));
    },
    async close() {
      if (closed) return;
      closing = true;
      if (flushTimer) {
        clearTimeout(flushTimer);
        flushing = flushing.then(flush);
      }
      await flushing;
      closed = true;
      if (acksTimer) clearTimeout(acksTimer);
      acksDirty = true;
      await saveAcks();
      await active.handle?.close();
      delete active.handle;
      for (const wake of dataWaiters) wake();
      for (const waiter of spaceWaiters.splice(0)) waiter.wake();
      // A reader its consumer abandoned mid-segment still holds that file open.
      for (const steps of openReads) void steps.return(undefined).catch(() => undefined);
    },
  };
}
