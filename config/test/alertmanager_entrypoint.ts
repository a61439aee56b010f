import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '@whodunit/testkit';
import { discordChannels } from './alertmanager_config.js';

/** The alertmanager service's entrypoint (docker-compose.yml runs it with the image's sh). */
export const entrypointFile = repoPath('config/alertmanager/entrypoint.sh');

export async function entrypointText(): Promise<string> {
  return readFile(entrypointFile, 'utf8');
}

/** Where the script renders when WHODUNIT_ALERTMANAGER_RUN_DIR is unset (compose's tmpfs). */
export function defaultRunDir(script: string): string | undefined {
  return /\$\{WHODUNIT_ALERTMANAGER_RUN_DIR:-([^}]+)\}/.exec(script)?.[1];
}

/**
 * The environment variables the script reads: those it names (`read_var SMTP_FROM`) and one
 * DISCORD_WEBHOOK_URL_<CHANNEL> per Discord channel of alertmanager.yml.
 */
export function variablesRead(script: string): string[] {
  const named = [...script.matchAll(/\bread_var ([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]!);
  const perChannel = discordChannels.map((channel) => `DISCORD_WEBHOOK_URL_${channel.toUpperCase()}`);
  return [...new Set([...named, ...perChannel])].sort();
}

/** The shells the script is run with: dash (/bin/sh here) always, busybox sh (the image's) when installed. */
export const shells: { name: string; command: string[] }[] = [
  { name: 'dash', command: ['/bin/sh'] },
  ...['/usr/bin/busybox', '/bin/busybox']
    .filter((p) => existsSync(p))
    .slice(0, 1)
    .map((p) => ({
      name: 'busybox sh',
      command: [p, 'sh'],
    })),
];

export interface EntrypointRun {
  code: number;
  /** stdout and stderr together, as `docker compose logs` shows them. */
  output: string;
  /** The arguments Alertmanager was started with (empty if the script did not exec it). */
  args: string[];
  /** Temporary: the caller removes it. */
  dir: string;
  runDir: string;
  rendered: string;
}

/**
 * Runs the entrypoint as compose does, with only `env` (and PATH) in its environment, a
 * temporary run directory in place of the tmpfs, and a stand-in Alertmanager that records its
 * arguments.
 */
export async function runEntrypoint(
  shell: readonly string[],
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<EntrypointRun> {
  const dir = await mkdtemp(join(tmpdir(), 'whodunit-am-entrypoint-'));
  const runDir = join(dir, 'run');
  const binary = join(dir, 'alertmanager');
  await writeFile(binary, `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/args'\n`);
  await chmod(binary, 0o755);
  const [command = '/bin/sh', ...shellArgs] = shell;
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      command,
      [...shellArgs, entrypointFile, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          WHODUNIT_ALERTMANAGER_RUN_DIR: runDir,
          WHODUNIT_ALERTMANAGER_BINARY: binary,
          ...env,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`,
        });
      },
    );
  });
  const argsText = await readFile(join(dir, 'args'), 'utf8').catch(() => '');
  const rendered = await readFile(join(runDir, 'alertmanager.yml'), 'utf8').catch(() => '');
  return { code, output, args: argsText.split('\n').slice(0, -1), dir, runDir, rendered };
}

/**
 * Debian's Alertmanager 0.25 has no `webhook_url_file`: each such line of a rendered file becomes
 * a `webhook_url` to a stand-in (the path itself is what the tests read from the YAML).
 */
export function webhookFilesAsUrls(rendered: string): string {
  return rendered.replace(
    /^(\s*- )webhook_url_file: .*$/gm,
    "$1webhook_url: 'http://127.0.0.1:9/stand-in?wait=true'",
  );
}
