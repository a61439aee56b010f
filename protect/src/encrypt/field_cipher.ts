/**
 * AES-256-GCM for single field values.
 *
 *   enc:v1:<key id>:<base64url(12-byte IV | ciphertext | 16-byte tag)>
 *
 * The plaintext is the value's JSON text, so numbers, booleans and objects come back
 * as they were. The prefix and key id are authenticated too (additional data): a
 * ciphertext moved to another key id, or altered in any byte, fails to decrypt with
 * a DecryptError; GCM never hands back garbage.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

export const ciphertextPrefix = 'enc:v1:';
const ivBytes = 12;
const tagBytes = 16;

/** Matches one ciphertext inside any text. */
export const ciphertextPattern = /enc:v1:[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9_-]+/g;

export type DecryptFailure = 'malformed' | 'unknown_key' | 'tampered';

export class DecryptError extends Error {
  constructor(
    readonly reason: DecryptFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DecryptError';
  }
}

export function isCiphertext(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ciphertextPrefix);
}

export function encryptValue(value: unknown, keyring: Keyring): string {
  const key = keyring.keys.get(keyring.primary)!;
  const header = `${ciphertextPrefix}${keyring.primary}`;
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(header));
  const body = Buffer.concat([cipher.update(JSON.stringify(value) ?? 'null', 'utf8'), cipher.final()]);
  return `${header}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

export function decryptValue(token: string, keyring: Keyring): unknown {
  const m = /^enc:v1:([A-Za-z0-9_.-]{1,64}):([A-Za-z0-9_-]+)$/.exec(token);
  if (m === null) throw new DecryptError('malformed', 'not an enc:v1 ciphertext');
  const [, kid, encoded] = m as unknown as [string, string, string];
  const key = keyring.keys.get(kid);
  if (key === undefined) throw new DecryptError('unknown_key', `no key with id "${kid}" in the keyring`);
  const raw = Buffer.from(encoded, 'base64url');
  if (raw.length < ivBytes + tagBytes) throw new DecryptError('malformed', 'ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, ivBytes));
  decipher.setAAD(Buffer.from(`${ciphertextPrefix}${kid}`));
  decipher.setAuthTag(raw.subarray(raw.length - tagBytes));
  let plaintext: string;
  try {
    plaintext = Buffer.concat([
      decipher.update(raw.subarray(ivBytes, raw.length - tagBytes)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new DecryptError(
      'tampered',
      `ciphertext for key "${kid}" failed authentication (altered or wrong key)`,
    );
  }
  try {
    return JSON.parse(plaintext);
  } catch {
    throw new DecryptError('malformed', 'decrypted value is not JSON text');
  }
}
