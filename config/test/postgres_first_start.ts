import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoPath, startPostgres, type PostgresServer } from '@whodunit/testkit';
import { bindMounts, environmentWithDefaults, hostPathOf, loadCompose } from './compose_file.js';

const run = promisify(execFile);

/** The stack's logins (config/postgres/logins.sh): they must give their passwords. */
const LOGINS = ['whodunit_grafana', 'whodunit_exporter', 'whodunit_collector'];

export interface FirstStart {
  server: PostgresServer;
  /** The postgres service's environment as compose passes it without .env (the passwords). */
  env: Record<string, string>;
  /** The init scripts that ran, in order (compose's mount sources). */
  scripts: string[];
}

/**
 * The first start of the compose `postgres` service, replayed on a local server: the init
 * scripts compose mounts into /docker-entrypoint-initdb.d run in name order, with the service's
 * environment and its mounted migrations, as the official image runs them. The stack's logins
 * then need their passwords (the test server trusts every other local login).
 */
export async function firstStartOfComposePostgres(): Promise<FirstStart> {
  const postgres = (await loadCompose()).compose.services.postgres!;
  const env = environmentWithDefaults(postgres);
  const scripts = bindMounts(postgres)
    .filter((m) => m.target.startsWith('/docker-entrypoint-initdb.d/'))
    .sort((a, b) => a.target.localeCompare(b.target))
    .map((m) => m.source);
  const server = await startPostgres();
  try {
    const scriptEnv = {
      ...process.env,
      ...env,
      POSTGRES_DB: 'postgres', // the test server's database; compose creates `whodunit`
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      WHODUNIT_MIGRATIONS_DIR: repoPath(hostPathOf(postgres, '/whodunit/migrations') ?? 'missing'),
    };
    for (const script of scripts) await run('bash', [repoPath(script)], { env: scriptEnv });
    const hba = join(server.dataDir, 'data', 'pg_hba.conf');
    const rules = `host all ${LOGINS.join(',')} 127.0.0.1/32 scram-sha-256\n`;
    await writeFile(hba, rules + (await readFile(hba, 'utf8')));
    await server.query('select pg_reload_conf()');
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, env, scripts };
}
