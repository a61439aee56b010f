import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePushRequest, encodePushRequest } from '../src/loki/push_proto.js';
import { referenceDecodePushRequest } from './support/push_proto_reference.js';

const pair = fc.record({ name: fc.string(), value: fc.string() });
const entry = fc.record({
  timestamp: fc.bigInt({ min: -(10n ** 18n), max: 4n * 10n ** 18n }),
  line: fc.oneof(fc.string(), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constant('')),
  structuredMetadata: fc.array(pair, { maxLength: 3 }),
});
const request = fc.record({
  streams: fc.array(fc.record({ labels: fc.string(), entries: fc.array(entry, { maxLength: 5 }) }), {
    maxLength: 4,
  }),
});

describe('push protobuf encoding', () => {
  it("decodes (with protobufjs, from Loki's push.proto) to exactly what was encoded", () => {
    fc.assert(
      fc.property(request, (r) => {
        expect(referenceDecodePushRequest(encodePushRequest(r))).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes by hand exactly what protobufjs decodes', () => {
    fc.assert(
      fc.property(request, (r) => {
        const bytes = encodePushRequest(r);
        expect(decodePushRequest(bytes)).toEqual(referenceDecodePushRequest(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects truncated or malformed bytes instead of returning garbage', () => {
    const bytes = Buffer.from(
      encodePushRequest({
        streams: [{ labels: '{a="b"}', entries: [{ timestamp: 5n, line: 'hello', structuredMetadata: [] }] }],
      }),
    );
    for (let cut = 1; cut < bytes.length; cut++)
      expect(() => decodePushRequest(bytes.subarray(0, cut))).toThrow();
    expect(() => decodePushRequest(Buffer.from([0x0b]))).toThrow(/wire type/); // field 1, wire type 3 (group)
  });

  it('writes Timestamp as Go does: seconds and nanos, nanos never negative', () => {
    const bytes = encodePushRequest({
      streams: [{ labels: '{a="b"}', entries: [{ timestamp: -1n, line: 'x', structuredMetadata: [] }] }],
    });
    expect(referenceDecodePushRequest(bytes).streams[0]?.entries[0]?.timestamp).toBe(-1n);
    expect(decodePushRequest(bytes).streams[0]?.entries[0]?.timestamp).toBe(-1n);
    // seconds = -1 (10-byte varint), nanos = 999999999
    expect(Buffer.from(bytes).toString('hex')).toContain('08ffffffffffffffffff0110ff93ebdc03');
  });
});
