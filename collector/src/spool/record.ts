import { crc32 } from 'node:zlib';

/**
 * One spool record on disk: a 12-byte header then the payload.
 *
 *   magic u32 BE (0x57445331, "WDS1") | payload length u32 BE | CRC-32 of payload u32 BE | payload
 *
 * The magic lets a reader find the next record after damage (resync); the
 * CRC-32 (zlib's, node:zlib crc32, in Node since 20.15) proves the payload is
 * the one written. A record torn by a crash or flipped by the disk fails one
 * of the checks and is skipped, never parsed.
 */
export const RECORD_MAGIC = 0x57445331;
export const HEADER_BYTES = 12;
/** Anything longer is damage, not a record (an append is far smaller). */
export const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

/** Fills in the header of a buffer whose payload starts at HEADER_BYTES (no copy). */
export function sealRecord(record: Buffer): Buffer {
  const payload = record.subarray(HEADER_BYTES);
  record.writeUInt32BE(RECORD_MAGIC, 0);
  record.writeUInt32BE(payload.length, 4);
  record.writeUInt32BE(crc32(payload), 8);
  return record;
}

/** What scanning a buffer found at one place. */
export type ScanStep =
  | { kind: 'record'; start: number; end: number; payload: Buffer }
  /** Bytes from `start` to `end` are not a valid record (skipped, counted once). */
  | { kind: 'corrupt'; start: number; end: number }
  /** A record starts here but its bytes go past the buffer: read more. */
  | { kind: 'incomplete'; start: number; needed: number };

/**
 * Reads the record at `start` of `buf`. `complete` says `buf` holds the rest of
 * the segment, so a record going past its end is torn rather than incomplete.
 * On damage, looks for the next offset where a whole valid record begins.
 */
export function scanAt(buf: Buffer, start: number, complete: boolean): ScanStep {
  const valid = checkAt(buf, start);
  if (valid === 'short') {
    return complete
      ? { kind: 'corrupt', start, end: buf.length }
      : { kind: 'incomplete', start, needed: neededAt(buf, start) };
  }
  if (valid !== 'bad') return valid;
  for (let at = buf.indexOf(MAGIC_BYTES, start + 1); at !== -1; at = buf.indexOf(MAGIC_BYTES, at + 1)) {
    const next = checkAt(buf, at);
    if (next === 'bad') continue;
    if (next === 'short' && complete) continue;
    return { kind: 'corrupt', start, end: at };
  }
  // No resync point in what we have: everything up to the last few bytes is damage
  // (a magic could straddle the end, so keep HEADER_BYTES-1 unless this is the end).
  const end = complete ? buf.length : Math.max(start + 1, buf.length - (HEADER_BYTES - 1));
  return { kind: 'corrupt', start, end };
}

const MAGIC_BYTES = Buffer.from([0x57, 0x44, 0x53, 0x31]);

function neededAt(buf: Buffer, start: number): number {
  if (buf.length - start < HEADER_BYTES) return HEADER_BYTES;
  return HEADER_BYTES + buf.readUInt32BE(start + 4);
}

function checkAt(buf: Buffer, start: number): Extract<ScanStep, { kind: 'record' }> | 'bad' | 'short' {
  if (buf.length - start < HEADER_BYTES) {
    // A short tail that is not even a header prefix is damage, not an unfinished read.
    const tail = buf.subarray(start, Math.min(buf.length, start + 4));
    return MAGIC_BYTES.subarray(0, tail.length).equals(tail) ? 'short' : 'bad';
  }
  if (buf.readUInt32BE(start) !== RECORD_MAGIC) return 'bad';
  const length = buf.readUInt32BE(start + 4);
  if (length > MAX_PAYLOAD_BYTES) return 'bad';
  const end = start + HEADER_BYTES + length;
  if (end > buf.length) return 'short';
  const payload = buf.subarray(start + HEADER_BYTES, end);
  if (crc32(payload) !== buf.readUInt32BE(start + 8)) return 'bad';
  return { kind: 'record', start, end, payload };
}
