import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DecryptError,
  decryptLine,
  decryptValue,
  encryptJsonFields,
  encryptValue,
  parseKeyring,
  ProtectConfigError,
} from '../src/index.js';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('hex');
const ring = parseKeyring(`# rotated in July\n2024-01:${k1}\n2024-07:${k2}\n`, 'keys.txt');

describe('field encryption', () => {
  it('round-trips strings, numbers and objects, with the newest key id inside the ciphertext', () => {
    for (const value of ['4111 1111 1111 1111', 1234, { street: 'Main St', no: 4 }, 'ünïcødé ✓']) {
      const token = encryptValue(value, ring);
      expect(token).toMatch(/^enc:v1:2024-07:[A-Za-z0-9_-]+$/);
      expect(decryptValue(token, ring)).toEqual(value);
    }
  });

  it('uses a fresh IV: the same value encrypts differently each time', () => {
    expect(encryptValue('x', ring)).not.toBe(encryptValue('x', ring));
  });

  it('still decrypts what an older key encrypted after rotation', () => {
    const old = parseKeyring(`2024-01:${k1}`, 'old');
    const token = encryptValue('secret', old);
    expect(token.startsWith('enc:v1:2024-01:')).toBe(true);
    expect(decryptValue(token, ring)).toBe('secret');
  });

  it('refuses a tampered ciphertext with a clear error, never garbage', () => {
    const token = encryptValue('card 4111', ring);
    const body = token.slice(token.lastIndexOf(':') + 1);
    const bytes = Buffer.from(body, 'base64url');
    for (const at of [0, 13, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[at]! ^= 0x01;
      const bad = `${token.slice(0, token.lastIndexOf(':') + 1)}${altered.toString('base64url')}`;
      expect(() => decryptValue(bad, ring)).toThrow(DecryptError);
      expect(() => decryptValue(bad, ring)).toThrow(/failed authentication/);
    }
  });

  it('refuses a ciphertext moved to another key id, and names an unknown key id', () => {
    const token = encryptValue('v', ring);
    expect(() => decryptValue(token.replace(':2024-07:', ':2024-01:'), ring)).toThrow(
      expect.objectContaining({ reason: 'tampered' }),
    );
    expect(() => decryptValue(token.replace(':2024-07:', ':2030-01:'), ring)).toThrow(
      /no key with id "2030-01"/,
    );
    expect(() => decryptValue('enc:v1:2024-07:AAAA', ring)).toThrow(
      expect.objectContaining({ reason: 'malformed' }),
    );
  });

  it('encrypts named JSON keys at any depth and decrypts the whole line back', () => {
    const doc = { user: 'bob', card: '4111111111111111', billing: { ssn: '078-05-1120', zip: '94107' } };
    const copy = structuredClone(doc);
    expect(encryptJsonFields(copy, new Set(['card', 'ssn']), ring)).toBe(2);
    const line = JSON.stringify(copy);
    expect(line).not.toContain('4111111111111111');
    expect(line).not.toContain('078-05-1120');
    expect(line).toContain('"zip":"94107"');
    expect(JSON.parse(decryptLine(line, ring))).toEqual(doc);
  });

  it('decrypts ciphertexts inside a plain text line', () => {
    expect(decryptLine(`charged ${encryptValue('4111', ring)} ok`, ring)).toBe('charged 4111 ok');
  });

  it('rejects bad key material without printing it', () => {
    const short = Buffer.from('too short').toString('base64');
    try {
      parseKeyring(`k:${short}`, 'env WHODUNIT_KEYS');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ProtectConfigError);
      expect((error as Error).message).toMatch(/key "k" must be 32 bytes/);
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => parseKeyring('', 'empty')).toThrow(/no key found/);
    expect(() => parseKeyring(`a:${k1},a:${k1}`, 'dup')).toThrow(/listed twice/);
  });
});
