import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptLine, decryptValue, DecryptError, parseKeyring } from '@whodunit/protect';
import { describe, expect, it } from 'vitest';
import { protectPipeline } from './protect_stage_support.js';

const keys = `2024-01:${randomBytes(32).toString('base64')}\n2024-07:${randomBytes(32).toString('base64')}\n`;
const dir = mkdtempSync(join(tmpdir(), 'whodunit-encrypt-'));
const keyFile = join(dir, 'field-keys');
writeFileSync(keyFile, keys);
const ring = parseKeyring(keys, 'test');

describe('encrypt stage', () => {
  it('encrypts named JSON keys at any depth with the newest key, and the holder of the key gets them back', () => {
    const line = '{"user":"bob","card":"4111111111111111","billing":{"ssn":"078-05-1120","zip":"94107"}}';
    const [entry] = protectPipeline([{ encrypt: { fields: ['card', 'ssn'], key_file: keyFile } }]).run([
      line,
    ]);
    expect(entry!.line).not.toContain('4111111111111111');
    expect(entry!.line).not.toContain('078-05-1120');
    expect(entry!.line).toMatch(/"card":"enc:v1:2024-07:[A-Za-z0-9_-]+"/);
    expect(JSON.parse(decryptLine(entry!.line, ring))).toEqual(JSON.parse(line));
  });

  it('encrypts extracted values, so later stages only see ciphertext', () => {
    const [entry] = protectPipeline([
      { regex: { expression: 'user=(?P<user>\\S+)' } },
      { encrypt: { fields: ['user'], key_file: keyFile } },
    ]).run(['login user=alice ok']);
    expect(entry!.line).toBe('login user=alice ok');
    expect(decryptValue(entry!.extracted.user as string, ring)).toBe('alice');
  });

  it('reads the keyring from an environment variable given by key_env', () => {
    process.env.WHODUNIT_TEST_FIELD_KEYS = keys;
    try {
      const [entry] = protectPipeline([
        { encrypt: { fields: ['pin'], key_env: 'WHODUNIT_TEST_FIELD_KEYS' } },
      ]).run(['{"pin":1234}']);
      expect(JSON.parse(decryptLine(entry!.line, ring))).toEqual({ pin: 1234 });
    } finally {
      delete process.env.WHODUNIT_TEST_FIELD_KEYS;
    }
  });

  it('produces ciphertext that fails loudly when altered', () => {
    const [entry] = protectPipeline([{ encrypt: { fields: ['card'], key_file: keyFile } }]).run([
      '{"card":"4111"}',
    ]);
    const token = (JSON.parse(entry!.line) as { card: string }).card;
    const altered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    expect(() => decryptValue(altered, ring)).toThrow(DecryptError);
  });

  it('passes a plain-text line without the fields unchanged', () => {
    const [entry] = protectPipeline([{ encrypt: { fields: ['card'], key_file: keyFile } }]).run([
      'GET /health 200',
    ]);
    expect(entry!.line).toBe('GET /health 200');
  });
});
