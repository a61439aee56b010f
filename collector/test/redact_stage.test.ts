import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protectPipeline } from './protect_stage_support.js';

describe('redact stage', () => {
  it('counts every secret in redactions_total by detector', async () => {
    const p = protectPipeline([{ redact: {} }]);
    p.run([
      '{"password":"a1","email":"bob@example.com"}',
      'mail alice@example.com card 4111111111111111',
      'nothing to see',
    ]);
    expect(await p.counter('redactions_total')).toEqual({ sensitive_key: 1, email: 2, card_number: 1 });
  });

  it('reads the HMAC key from hash_key_file, so the same secret hashes alike across restarts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'whodunit-redact-'));
    const keyFile = join(dir, 'hash.key');
    writeFileSync(keyFile, 'k3y\n');
    const fromFile = protectPipeline([{ redact: { mode: 'hash', hash_key_file: keyFile } }]).run([
      'login bob@example.com',
    ]);
    const inline = protectPipeline([{ redact: { mode: 'hash', hash_key: 'k3y' } }]).run([
      'login bob@example.com',
    ]);
    expect(fromFile[0]!.line).toBe('login [HASH:email:3c3ae86e98f79222]');
    expect(inline[0]!.line).toBe(fromFile[0]!.line);
  });
});
