/**
 * `whodunit-collector decrypt --key-file K`, spawned as users run it: what the
 * encrypt stage printed with --stdin --dry-run comes back in plaintext, and a
 * tampered or foreign-key value is an error naming the line, never garbage.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli, dryRunEntries as jsonLines } from './support/run_cli.js';

const dir = mkdtempSync(join(tmpdir(), 'whodunit-decrypt-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const keyFile = file(
  'keys',
  `2024-01:${randomBytes(32).toString('base64')}\n2024-07:${randomBytes(32).toString('hex')}\n`,
);
const otherKeyFile = file('other-keys', `2023-01:${randomBytes(32).toString('base64')}\n`);
const config = file(
  'promtail.yaml',
  `scrape_configs:
  - job_name: payments
    static_configs:
      - labels: { job: payments }
    pipeline_stages:
      - json: { expressions: { user: user } }
      - encrypt: { fields: [card, ssn, user], key_file: ${keyFile} }
      - structured_metadata: { user: }
`,
);

const plaintext = [
  '{"user":"bob","card":"4111 1111 1111 1111","billing":{"ssn":"078-05-1120","zip":"94107"}}',
  '{"user":"alice","card":4242424242424242,"note":"second"}',
];

describe.concurrent('whodunit-collector decrypt', () => {
  let encrypted: string;
  beforeAll(async () => {
    const run = await cli([`-config.file=${config}`, '--stdin', '--dry-run'], plaintext.join('\n') + '\n');
    expect(run.code).toBe(0);
    encrypted = run.stdout;
  });

  it('gets back what the encrypt stage wrote: lines, structured metadata and extracted values', async () => {
    // The encrypt stage really did hide the values.
    expect(encrypted).not.toContain('4111');
    expect(encrypted).not.toContain('bob');
    expect(encrypted).toContain('enc:v1:2024-07:');

    const run = await cli(['decrypt', '--key-file', keyFile], encrypted);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const entries = jsonLines(run.stdout);
    expect(entries.map((e) => JSON.parse(e.line as string) as unknown)).toEqual(
      plaintext.map((l) => JSON.parse(l) as unknown),
    );
    expect(entries.map((e) => e.structured_metadata)).toEqual([{ user: 'bob' }, { user: 'alice' }]);
    expect(entries[0]?.labels).toEqual({ job: 'payments' });
    expect((entries[1]?.extracted as Record<string, unknown>).user).toBe('alice');
  });

  it('decrypts raw lines too, in Go flag form', async () => {
    const raw = jsonLines(encrypted)
      .map((e) => e.line as string)
      .join('\n');
    const run = await cli(['decrypt', `-key-file=${keyFile}`], raw + '\n');
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)).toEqual(plaintext.map((l) => JSON.parse(l) as unknown));
  });

  it('reports a tampered value with its line number, prints no garbage for it, exits 1', async () => {
    const [first, second] = encrypted.split('\n');
    // Change one character inside the ciphertext of the second line.
    const tampered = second!.replace(
      /(enc:v1:2024-07:[A-Za-z0-9_-]{10})([A-Za-z0-9_-])/,
      (_m, head, c) => head + (c === 'A' ? 'B' : 'A'),
    );
    expect(tampered).not.toBe(second);
    const run = await cli(['decrypt', '--key-file', keyFile], `${first}\n${tampered}\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^whodunit-collector decrypt: line 2: tampered: /m);
    const out = jsonLines(run.stdout);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]?.line as string)).toEqual(JSON.parse(plaintext[0]!));
    expect(run.stdout).not.toContain('alice');
  });

  it('says which key id it does not have', async () => {
    const run = await cli(['decrypt', '--key-file', otherKeyFile], encrypted);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('line 1: unknown_key: no key with id "2024-07" in the keyring');
    expect(run.stderr).toContain('line 2: unknown_key');
  });

  it('needs --key-file (exit 2) and says which key file is unreadable (exit 1)', async () => {
    const [missingFlag, missingFile, help] = await Promise.all([
      cli(['decrypt'], ''),
      cli(['decrypt', '--key-file', join(dir, 'nope')], ''),
      cli(['--help']),
    ]);
    expect(missingFlag.code).toBe(2);
    expect(missingFlag.stderr).toContain('decrypt needs --key-file');
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toContain(join(dir, 'nope'));
    expect(help.stdout).toContain('decrypt --key-file PATH');
  });
});
