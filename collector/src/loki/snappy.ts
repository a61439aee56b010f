/**
 * Snappy in the BLOCK format (not the framed/stream format): what Loki's push
 * endpoint expects for `application/x-protobuf` bodies. The encoder is Go's
 * (golang/snappy `encode_other.go`, what Promtail's `snappy.Encode` runs), so
 * a push compresses to the same bytes Promtail would send.
 *
 * In TypeScript rather than the native `snappy` addon, for memory: the
 * addon returned a fresh buffer per push, outside the V8 heap until a full GC
 * (about 10 MB of resident memory in `npm run bench:collector`), and loading
 * it cost about 6 MB more. Speed, measured in that benchmark (1.15 MB pushes):
 * 3-4 ms per push here against 1.2-1.7 ms for the addon, about 0.3 cpu-s per
 * million lines. Uncompressing (the push receiver) was measured on its own:
 * 0.9 ms per 920 KB push, against 3.1-3.7 ms through the addon.
 */

const MAX_BLOCK_BYTES = 65536;
/** Go's inputMargin: the last bytes of a block are never the start of a match. */
const INPUT_MARGIN = 15;
const MIN_NON_LITERAL_BLOCK_BYTES = 1 + 1 + INPUT_MARGIN;
const MAX_TABLE_SIZE = 1 << 14;
const TAG_COPY_1 = 1;
const TAG_COPY_2 = 2;

export class SnappyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnappyError';
  }
}

/** The largest block `n` input bytes may compress to (Go's MaxEncodedLen). */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

const load32 = (b: Uint8Array, i: number): number =>
  b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

const hash = (u: number, shift: number): number => Math.imul(u, 0x1e35a7bd) >>> shift;

/**
 * Compresses into one output buffer and one hash table, both kept for the next
 * call: one encoder per Loki client, whose pushes go out one at a time.
 */
export class SnappyEncoder {
  readonly #table = new Uint16Array(MAX_TABLE_SIZE);
  #out: Buffer;

  /** `expectedBytes`: the usual input, so the output buffer is allocated once (unwritten pages are not resident). */
  constructor(expectedBytes = 0) {
    this.#out = Buffer.allocUnsafe(expectedBytes > 0 ? maxCompressedLength(expectedBytes) : 0);
  }

  /** `data` as a snappy block: a view of this encoder's buffer, valid until the next call. */
  compress(data: Uint8Array): Buffer {
    const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const bound = maxCompressedLength(src.length);
    // Doubling: a buffer grown a little at each bigger push left a trail of dead ones.
    if (this.#out.length < bound)
      this.#out = Buffer.allocUnsafe(Math.max(bound, 2 * this.#out.length, 64 << 10));
    const dst = this.#out;
    let d = 0;
    for (let n = src.length; ; n = Math.floor(n / 128)) {
      if (n < 0x80) {
        dst[d++] = n;
        break;
      }
      dst[d++] = (n & 0x7f) | 0x80;
    }
    for (let at = 0; at < src.length; at += MAX_BLOCK_BYTES) {
      const end = Math.min(src.length, at + MAX_BLOCK_BYTES);
      d =
        end - at < MIN_NON_LITERAL_BLOCK_BYTES
          ? emitLiteral(dst, d, src, at, end)
          : this.#encodeBlock(dst, d, src, at, end);
    }
    return dst.subarray(0, d);
  }

  /** Go's encodeBlock over src[start, end), at most 64 KiB: the table holds offsets from `start`. */
  #encodeBlock(dst: Buffer, d: number, src: Buffer, start: number, end: number): number {
    const table = this.#table;
    let shift = 32 - 8;
    let tableSize = 1 << 8;
    while (tableSize < MAX_TABLE_SIZE && tableSize < end - start) {
      tableSize *= 2;
      shift--;
    }
    table.fill(0, 0, tableSize);
    const mask = tableSize - 1;
    const sLimit = end - INPUT_MARGIN;
    let nextEmit = start;
    let s = start + 1;
    let nextHash = hash(load32(src, s), shift);
    for (;;) {
      // Look for a 4-byte match, probing further apart the longer none is found.
      let skip = 32;
      let nextS = s;
      let candidate: number;
      for (;;) {
        s = nextS;
        const step = skip >> 5;
        nextS = s + step;
        skip += step;
        if (nextS > sLimit) return nextEmit < end ? emitLiteral(dst, d, src, nextEmit, end) : d;
        candidate = table[nextHash & mask]! + start;
        table[nextHash & mask] = s - start;
        nextHash = hash(load32(src, nextS), shift);
        if (load32(src, s) === load32(src, candidate)) break;
      }
      d = emitLiteral(dst, d, src, nextEmit, s);
      // Emit copies for as long as the bytes right after a match match again.
      for (;;) {
        const base = s;
        s += 4;
        // Four bytes at a time, then the last few one by one: matches in log lines run long.
        let i = candidate + 4;
        while (s + 4 <= end && load32(src, i) === load32(src, s)) {
          i += 4;
          s += 4;
        }
        while (s < end && src[i] === src[s]) {
          i++;
          s++;
        }
        d = emitCopy(dst, d, base - candidate, s - base);
        nextEmit = s;
        if (s >= sLimit) return nextEmit < end ? emitLiteral(dst, d, src, nextEmit, end) : d;
        table[hash(load32(src, s - 1), shift) & mask] = s - 1 - start;
        const current = load32(src, s);
        const currentHash = hash(current, shift) & mask;
        candidate = table[currentHash]! + start;
        table[currentHash] = s - start;
        if (current !== load32(src, candidate)) {
          nextHash = hash(load32(src, s + 1), shift);
          s++;
          break;
        }
      }
    }
  }
}

function emitLiteral(dst: Buffer, d: number, src: Buffer, from: number, to: number): number {
  const n = to - from - 1;
  if (n < 60) dst[d++] = n << 2;
  else if (n < 256) {
    dst[d++] = 60 << 2;
    dst[d++] = n;
  } else {
    dst[d++] = 61 << 2;
    dst[d++] = n & 0xff;
    dst[d++] = n >>> 8;
  }
  // A call into Buffer#copy costs more than a short loop.
  if (n < 16) {
    for (let i = from; i < to; i++) dst[d++] = src[i]!;
    return d;
  }
  return d + src.copy(dst, d, from, to);
}

function emitCopy(dst: Buffer, d: number, offset: number, length: number): number {
  while (length >= 68) {
    dst[d++] = (63 << 2) | TAG_COPY_2;
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    length -= 64;
  }
  if (length > 64) {
    dst[d++] = (59 << 2) | TAG_COPY_2;
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    length -= 60;
  }
  if (length >= 12 || offset >= 2048) {
    dst[d++] = ((length - 1) << 2) | TAG_COPY_2;
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    return d;
  }
  dst[d++] = ((offset >>> 8) << 5) | ((length - 4) << 2) | TAG_COPY_1;
  dst[d++] = offset & 0xff;
  return d;
}

/** A snappy block of `data` in a buffer of its own (tests, one-off uses; the Loki client keeps a SnappyEncoder). */
export function compress(data: Uint8Array): Buffer {
  return Buffer.from(new SnappyEncoder().compress(data));
}

/** The length a snappy block says it uncompresses to, or undefined when its header is not a valid varint. */
export function uncompressedLength(block: Uint8Array): number | undefined {
  let value = 0;
  for (let i = 0; i < Math.min(block.length, 5); i++) {
    const b = block[i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return value <= 0xffffffff ? value : undefined;
  }
  return undefined;
}

/** Inverse of compress(); throws a SnappyError on input that is not a valid snappy block. */
export function uncompress(data: Uint8Array): Buffer {
  const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const length = uncompressedLength(src);
  // No element expands more than 64 bytes from 3 (a 2-byte-offset copy): a bigger claim is corrupt.
  if (length === undefined || length > src.length * 22) throw new SnappyError('corrupt input');
  const dst = Buffer.allocUnsafe(length);
  let s = 1;
  while (src[s - 1]! >= 0x80) s++;
  let d = 0;
  while (s < src.length) {
    const tag = src[s]!;
    if ((tag & 3) === 0) {
      let n = tag >>> 2;
      s++;
      if (n >= 60) {
        const bytes = n - 59;
        if (s + bytes > src.length) throw new SnappyError('corrupt input');
        n = 0;
        for (let k = 0; k < bytes; k++) n += src[s++]! * 2 ** (8 * k);
      }
      n += 1;
      if (n > src.length - s || n > length - d) throw new SnappyError('corrupt input');
      if (n < 16) for (let k = 0; k < n; k++) dst[d++] = src[s++]!;
      else {
        d += src.copy(dst, d, s, s + n);
        s += n;
      }
      continue;
    }
    let n: number;
    let offset: number;
    if ((tag & 3) === TAG_COPY_1) {
      if (s + 2 > src.length) throw new SnappyError('corrupt input');
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[s + 1]!;
      s += 2;
    } else if ((tag & 3) === TAG_COPY_2) {
      if (s + 3 > src.length) throw new SnappyError('corrupt input');
      n = (tag >>> 2) + 1;
      offset = src[s + 1]! | (src[s + 2]! << 8);
      s += 3;
    } else {
      if (s + 5 > src.length) throw new SnappyError('corrupt input');
      n = (tag >>> 2) + 1;
      offset = (src[s + 1]! | (src[s + 2]! << 8) | (src[s + 3]! << 16) | (src[s + 4]! << 24)) >>> 0;
      s += 5;
    }
    if (offset === 0 || offset > d || n > length - d) throw new SnappyError('corrupt input');
    if (offset >= n) {
      dst.copyWithin(d, d - offset, d - offset + n);
      d += n;
    } else for (const stop = d + n; d < stop; d++) dst[d] = dst[d - offset]!;
  }
  if (d !== length) throw new SnappyError('corrupt input');
  return dst;
}
