import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath, startPostgres, type PostgresServer } from '@whodunit/testkit';
import { bindMounts, environmentOf, hostPathOf, loadCompose, type ComposeService } from './compose_file.js';

const run = promisify(execFile);

/** `${NAME:-default}` -> default: what compose passes on a fresh clone with no .env. */
const withDefaults = (value: string) => value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

/**
 * The first start of the compose `postgres` service, replayed on a local server: the init
 * scripts compose mounts into /docker-entrypoint-initdb.d run in name order, with the service's
 * environment and its mounted migrations, as the official image runs them.
 */
describe('first start of the compose postgres service', () => {
  let server: PostgresServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    const postgres: ComposeService = (await loadCompose()).compose.services.postgres!;
    env = Object.fromEntries(Object.entries(environmentOf(postgres)).map(([k, v]) => [k, withDefaults(v)]));
    const scripts = bindMounts(postgres)
      .filter((m) => m.target.startsWith('/docker-entrypoint-initdb.d/'))
      .sort((a, b) => a.target.localeCompare(b.target));
    expect(scripts.map((s) => s.source)).toEqual(['./sql/docker/initdb.sh', './config/postgres/logins.sh']);

    server = await startPostgres();
    const scriptEnv = {
      ...process.env,
      ...env,
      POSTGRES_DB: 'postgres', // the test server's database; compose creates `whodunit`
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      WHODUNIT_MIGRATIONS_DIR: repoPath(hostPathOf(postgres, '/whodunit/migrations') ?? 'missing'),
    };
    for (const script of scripts) await run('bash', [repoPath(script.source)], { env: scriptEnv });

    // The test server trusts every local login; ask for passwords from the stack's logins.
    const hba = join(server.dataDir, 'data', 'pg_hba.conf');
    const rules = 'host all whodunit_grafana,whodunit_exporter 127.0.0.1/32 scram-sha-256\n';
    await writeFile(hba, rules + (await readFile(hba, 'utf8')));
    await server.query('select pg_reload_conf()');
  });

  afterAll(() => server?.stop());

  async function connectAs(user: string, password: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: server.urlFor('postgres', user, password) });
    await client.connect();
    return client;
  }

  it('lets Grafana in with the password compose gives it, as a member of whodunit_reader only', async () => {
    const client = await connectAs('whodunit_grafana', env.WHODUNIT_GRAFANA_DB_PASSWORD!);
    try {
      const { rows } = await client.query<{ reader: boolean; insert: boolean; superuser: boolean }>(
        `select pg_has_role('whodunit_reader', 'member') as reader,
                has_table_privilege('audit.events', 'insert') as insert,
                rolsuper as superuser
           from pg_roles where rolname = current_user`,
      );
      expect(rows).toEqual([{ reader: true, insert: false, superuser: false }]);
    } finally {
      await client.end();
    }
  });

  it('lets postgres-exporter in with the password compose gives it, with statistics rights only', async () => {
    const client = await connectAs('whodunit_exporter', env.WHODUNIT_EXPORTER_DB_PASSWORD!);
    try {
      const { rows } = await client.query<{ monitor: boolean; reader: boolean }>(
        `select pg_has_role('pg_monitor', 'member') as monitor, pg_has_role('whodunit_reader', 'member') as reader`,
      );
      expect(rows).toEqual([{ monitor: true, reader: false }]);
    } finally {
      await client.end();
    }
  });

  it('refuses a wrong password', async () => {
    await expect(connectAs('whodunit_grafana', 'not-the-password')).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it('refuses to start with an empty password, naming the variable', async () => {
    const result = run('bash', [repoPath('config/postgres/logins.sh')], {
      env: {
        ...process.env,
        ...env,
        WHODUNIT_GRAFANA_DB_PASSWORD: '',
        PGHOST: '127.0.0.1',
        PGPORT: String(server.port),
      },
    });
    await expect(result).rejects.toMatchObject({
      stderr: expect.stringContaining('WHODUNIT_GRAFANA_DB_PASSWORD'),
    });
  });
});
