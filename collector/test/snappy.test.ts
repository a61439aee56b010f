import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, maxCompressedLength, SnappyEncoder, uncompress } from '../src/loki/snappy.js';

const text = (s: string) => Buffer.from(s, 'utf8');

/** Bytes with repeats in them (what compresses), from a few symbols with some noise. */
const repetitive = fc
  .tuple(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 20 }), fc.integer())
  .map(([length, symbols, seed]) => {
    const bytes = Buffer.alloc(length);
    let state = seed >>> 0 || 1;
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      bytes[i] = state % 10 < 3 ? state >>> 24 : 97 + (i % symbols);
    }
    return bytes;
  });

describe('snappy block format', () => {
  it('compresses to the bytes Go and the native snappy library produce', () => {
    // Reference bytes from the `snappy` npm package (napi-rs), which matched on every input tried.
    const lines =
      '{"level":"info","msg":"request handled","path":"/api/users"}\n' +
      '{"level":"info","msg":"request handled","path":"/api/games"}\n';
    expect(compress(text(lines)).toString('hex')).toBe(
      '7af03c7b226c6576656c223a22696e666f222c226d7367223a22726571756573742068616e646c6564222c2270617468223a222f6170692f7573657273227d0ad23d001c67616d6573227d0a',
    );
    expect(compress(text('a'.repeat(100))).toString('hex')).toBe('640061fe01008a0100');
  });

  it('uncompresses exactly what it compressed, across 64 KiB blocks, within the worst-case size', () => {
    fc.assert(
      fc.property(fc.oneof(repetitive, fc.uint8Array({ maxLength: 70_000 })), (input) => {
        const block = compress(input);
        expect(block.length).toBeLessThanOrEqual(maxCompressedLength(input.length));
        expect(uncompress(block).equals(Buffer.from(input))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('reuses one output buffer: each result is valid until the next compress()', () => {
    const encoder = new SnappyEncoder();
    const first = encoder.compress(text('first '.repeat(50)));
    const kept = Buffer.from(first);
    const second = encoder.compress(text('second '.repeat(50)));
    expect(second.buffer).toBe(first.buffer);
    expect(uncompress(kept).toString()).toBe('first '.repeat(50));
    expect(uncompress(second).toString()).toBe('second '.repeat(50));
  });

  it('rejects damaged blocks instead of returning garbage', () => {
    const block = compress(text('hello hello hello hello hello hello'));
    expect(() => uncompress(Buffer.alloc(0))).toThrow(/corrupt/);
    for (let cut = 1; cut < block.length; cut++)
      expect(() => uncompress(block.subarray(0, cut))).toThrow(/corrupt/);
    // A copy reaching back before the start of the output.
    expect(() => uncompress(Buffer.from([0x08, 0x01, 0x10]))).toThrow(/corrupt/);
    // More output than the header announced.
    expect(() => uncompress(Buffer.from([0x01, 0x04, 0x61, 0x62]))).toThrow(/corrupt/);
    // A header claiming far more than the block could hold (no allocation of it).
    expect(() => uncompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]))).toThrow(/corrupt/);
  });
});
