/**
 * The keys field encryption uses, each with an id that travels inside every
 * ciphertext, so keys can rotate: add a new key at the end (it encrypts from then
 * on), keep the old ones as long as data encrypted with them must stay readable.
 *
 * Text form (a key file, or an environment variable):
 *
 *   # one key per line (or comma-separated): <id>:<32 bytes as base64 or 64 hex digits>
 *   2024-01:q8Vn0mYb2m0oUuP7sUj4nV1HkH0p0d9o4mJxKx6b2kQ=
 *   2024-07:5f0c...64 hex digits...
 *
 * Generate a key: `node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`.
 */
import { ProtectConfigError } from '../config_error.js';

export interface Keyring {
  /** The id of the key new ciphertexts use: the last one listed. */
  readonly primary: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

const keyId = /^[A-Za-z0-9_.-]{1,64}$/;

/** `source` names where the text came from (a file path, `env WHODUNIT_KEYS`) for messages; key bytes never appear in them. */
export function parseKeyring(text: string, source: string): Keyring {
  const keys = new Map<string, Buffer>();
  let primary: string | undefined;
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
  for (const [index, entry] of entries.entries()) {
    const sep = entry.search(/[:=]/);
    if (sep <= 0) {
      throw new ProtectConfigError(source, `entry ${index + 1}: expected <id>:<key> (the key id is missing)`);
    }
    const id = entry.slice(0, sep).trim();
    const material = entry.slice(sep + 1).trim();
    if (!keyId.test(id))
      throw new ProtectConfigError(
        source,
        `entry ${index + 1}: key id "${id}" must be letters, digits, . _ -`,
      );
    if (keys.has(id)) throw new ProtectConfigError(source, `key id "${id}" is listed twice`);
    keys.set(id, decodeKey(material, id, source));
    primary = id;
  }
  if (primary === undefined) throw new ProtectConfigError(source, 'no key found');
  return { primary, keys };
}

function decodeKey(material: string, id: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(material)
    ? Buffer.from(material, 'hex')
    : Buffer.from(material, 'base64');
  if (key.length !== 32) {
    throw new ProtectConfigError(
      source,
      `key "${id}" must be 32 bytes (AES-256) as base64 or 64 hex digits; it decodes to ${key.length} bytes`,
    );
  }
  return key;
}
