/**
 * Encrypting named fields of a JSON document, at any depth, and decrypting every
 * ciphertext found in one. Names compare exactly (`card`, `ssn`, `user.email` is
 * not a path: it is a key spelled with a dot).
 */
import { ciphertextPattern, decryptValue, encryptValue, isCiphertext } from './field_cipher.js';
import type { Keyring } from './keyring.js';

/** Encrypts in place the values of keys in `names`; returns how many were encrypted. Already-encrypted values are left. */
export function encryptJsonFields(document: unknown, names: ReadonlySet<string>, keyring: Keyring): number {
  let count = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(object)) {
      if (names.has(key) && value !== undefined && value !== null && !isCiphertext(value)) {
        object[key] = encryptValue(value, keyring);
        count++;
      } else {
        visit(value);
      }
    }
  };
  visit(document);
  return count;
}

/** Decrypts in place every ciphertext string in a JSON document (throws DecryptError on the first bad one). */
export function decryptJsonFields(document: unknown, keyring: Keyring): unknown {
  if (isCiphertext(document)) return decryptValue(document, keyring);
  if (Array.isArray(document)) return document.map((item) => decryptJsonFields(item, keyring));
  if (document === null || typeof document !== 'object') return document;
  const object = document as Record<string, unknown>;
  for (const [key, value] of Object.entries(object)) object[key] = decryptJsonFields(value, keyring);
  return object;
}

/**
 * One line back to plaintext: a JSON line has its ciphertext values decrypted (and
 * keeps its shape); any other line has each ciphertext replaced by the value's text.
 */
export function decryptLine(line: string, keyring: Keyring): string {
  if (line.trimStart().startsWith('{')) {
    try {
      return JSON.stringify(decryptJsonFields(JSON.parse(line), keyring));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
  }
  return line.replace(ciphertextPattern, (token) => {
    const value = decryptValue(token, keyring);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}
