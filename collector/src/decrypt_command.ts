/**
 * `whodunit-collector decrypt --key-file K`: turns what the `encrypt` stage
 * wrote back into plaintext, for whoever holds the keys. Reads JSON lines on
 * stdin, either the --dry-run form (`{"ts","labels","line","structured_metadata",
 * "extracted"}`: every field that can hold a ciphertext is decrypted) or raw
 * lines (each `enc:v1:...` token in them is decrypted), and prints them on stdout
 * in the same form.
 *
 * A value that does not decrypt (tampered, encrypted with a key not in the key
 * file, or malformed) is never printed as garbage: the line is left out, stderr
 * says `line <n>: <kind>: <why>`, the other lines are still decrypted (an
 * investigator wants every line that can be read), and the exit code is 1.
 * Exit codes: 0 all decrypted, 1 a line or the key file failed, 2 bad command line.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DecryptError, decryptJsonFields, decryptLine, parseKeyring, type Keyring } from '@whodunit/protect';
import { CliArgsError, normalizeArgs } from './cli_args.js';

export const DECRYPT_USAGE = `Usage: whodunit-collector decrypt --key-file PATH < entries.jsonl

Decrypts the fields the encrypt stage encrypted. Input: JSON lines, either the
--dry-run form or raw lines; output: the same lines in plaintext. A value that
fails to decrypt (tampered, unknown key id, malformed) is reported on stderr
with its line number, the line is not printed, and the exit code is 1.

  -key-file PATH   the keyring (<id>:<32-byte key as base64 or hex>, one per line)
  -h, --help       print this help
`;

export interface DecryptIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
}

/** Runs the subcommand on `argv` (the arguments after `decrypt`); resolves to the exit code. */
export async function runDecrypt(argv: readonly string[], io: DecryptIo): Promise<number> {
  let keyFile: string | undefined;
  try {
    const { values } = parseArgs({
      args: normalizeArgs(argv),
      options: { 'key-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.output.write(DECRYPT_USAGE);
      return 0;
    }
    keyFile = values['key-file'];
    if (keyFile === undefined) throw new CliArgsError('decrypt needs --key-file');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.errors.write(`whodunit-collector decrypt: ${message}\n\n${DECRYPT_USAGE}`);
    return 2;
  }

  let keyring: Keyring;
  try {
    keyring = parseKeyring(await readFile(keyFile, 'utf8'), keyFile);
  } catch (err) {
    // Messages from parseKeyring name the file and the entry, never key bytes.
    io.errors.write(`whodunit-collector decrypt: ${(err as Error).message}\n`);
    return 1;
  }

  let failures = 0;
  let lineNumber = 0;
  for await (const text of createInterface({ input: io.input, crlfDelay: Infinity })) {
    lineNumber++;
    if (text.trim() === '') continue;
    try {
      io.output.write(decryptInputLine(text, keyring) + '\n');
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      failures++;
      io.errors.write(`whodunit-collector decrypt: line ${lineNumber}: ${err.reason}: ${err.message}\n`);
    }
  }
  return failures > 0 ? 1 : 0;
}

/** One input line, in the --dry-run form or raw, back to plaintext (throws DecryptError). */
export function decryptInputLine(text: string, keyring: Keyring): string {
  const record = parseDryRunForm(text);
  if (record === undefined) return decryptLine(text, keyring);
  record.line = decryptLine(record.line, keyring);
  for (const key of ['labels', 'structured_metadata'] as const) {
    const map = record[key];
    if (!isObject(map)) continue;
    // These maps hold strings: a decrypted non-string value prints as its JSON text.
    for (const [name, value] of Object.entries(map)) {
      if (typeof value === 'string') map[name] = decryptLine(value, keyring);
    }
  }
  if (isObject(record.extracted)) decryptJsonFields(record.extracted, keyring);
  return JSON.stringify(record);
}

interface DryRunRecord {
  line: string;
  labels?: unknown;
  structured_metadata?: unknown;
  extracted?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The --dry-run form: an object with a string `line` and a `labels` map (a raw JSON line rarely has both). */
function parseDryRunForm(text: string): DryRunRecord | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || typeof value.line !== 'string' || !isObject(value.labels)) return undefined;
  return value as unknown as DryRunRecord;
}
