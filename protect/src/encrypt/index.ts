export { parseKeyring, type Keyring } from './keyring.js';
export {
  encryptValue,
  decryptValue,
  isCiphertext,
  ciphertextPrefix,
  ciphertextPattern,
  DecryptError,
  type DecryptFailure,
} from './field_cipher.js';
export { encryptJsonFields, decryptJsonFields, decryptLine } from './json_fields.js';
