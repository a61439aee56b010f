import { readFileSync } from 'node:fs';
import {
  encryptJsonFields,
  encryptValue,
  isCiphertext,
  parseKeyring,
  ProtectConfigError,
  type Keyring,
} from '@whodunit/protect';
import { z } from 'zod';
import { defineStage, StageConfigError } from '../stage.js';

/**
 * `encrypt` (whodunit, not in Promtail): field-level encryption with AES-256-GCM.
 * The named `fields` are encrypted wherever they are: as keys at any depth of a
 * JSON line (the line is re-serialised), and as names in the extracted map (so a
 * later `labels`/`structured_metadata`/`output` stage only ever sees ciphertext).
 * Values become `enc:v1:<key id>:<base64url(iv | ciphertext | tag)>`; the key id
 * inside lets keys rotate (see @whodunit/protect's keyring.ts for the key format:
 * `<id>:<32 bytes base64 or hex>`, one per line, the last one encrypts).
 * `whodunit-collector decrypt --key-file K` turns such lines back for whoever holds
 * the key; tampered ciphertext fails with an error there, never garbage.
 *
 *   - fields (required): names to encrypt.
 *   - key_file or key_env (exactly one): where the keyring is, read once at start.
 *   A line that is not JSON and has none of the fields extracted passes unchanged.
 *
 *   - encrypt: { fields: [card, ssn], key_file: /etc/whodunit/field-keys }
 *   line `{"user":"bob","card":"4111111111111111"}` -> `{"user":"bob","card":"enc:v1:2024-07:Xk9..."}`
 */
export const encrypt = defineStage({
  name: 'encrypt',
  schema: z.object({
    fields: z.array(z.string().min(1)).min(1),
    key_file: z.string().optional(),
    key_env: z.string().optional(),
  }),
  create(config, ctx) {
    const keyring = loadKeyring(config.key_file, config.key_env);
    const names = new Set(config.fields);
    return {
      process(entry) {
        for (const name of names) {
          const value = entry.extracted[name];
          if (value !== undefined && value !== null && !isCiphertext(value)) {
            entry.extracted[name] = encryptValue(value, keyring);
          }
        }
        if (!entry.line.trimStart().startsWith('{')) return entry;
        let document: unknown;
        try {
          document = JSON.parse(entry.line);
        } catch {
          ctx.countError('malformed_json');
          return entry;
        }
        if (encryptJsonFields(document, names, keyring) > 0) entry.line = JSON.stringify(document);
        return entry;
      },
    };
  },
});

function loadKeyring(keyFile: string | undefined, keyEnv: string | undefined): Keyring {
  if ((keyFile === undefined) === (keyEnv === undefined)) {
    throw new StageConfigError('key_file', 'give exactly one of key_file and key_env');
  }
  let text: string;
  let source: string;
  if (keyFile !== undefined) {
    source = keyFile;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (error) {
      throw new StageConfigError('key_file', `cannot read ${keyFile}: ${(error as Error).message}`);
    }
  } else {
    source = `environment variable ${keyEnv}`;
    const value = process.env[keyEnv!];
    if (value === undefined || value.trim() === '')
      throw new StageConfigError('key_env', `${source} is not set`);
    text = value;
  }
  try {
    return parseKeyring(text, source);
  } catch (error) {
    if (error instanceof ProtectConfigError) {
      throw new StageConfigError(keyFile !== undefined ? 'key_file' : 'key_env', error.message);
    }
    throw error;
  }
}
