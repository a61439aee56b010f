import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath, type PostgresServer } from '@whodunit/testkit';
import { firstStartOfComposePostgres } from './postgres_first_start.js';

const run = promisify(execFile);

/** The first start of the compose `postgres` service, replayed on a local server (postgres_first_start.ts). */
describe('first start of the compose postgres service', () => {
  let server: PostgresServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    const start = await firstStartOfComposePostgres();
    ({ server, env } = start);
    expect(start.scripts).toEqual(['./sql/docker/initdb.sh', './config/postgres/logins.sh']);
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

  it('lets the collector in with the password compose gives it: it listens, catches up, seals and maintains', async () => {
    await server.query('create table public.games (id int primary key, title text)');
    const client = await connectAs('whodunit_collector', env.WHODUNIT_COLLECTOR_DB_PASSWORD!);
    try {
      const { rows } = await client.query<Record<string, boolean>>(
        `select pg_has_role('whodunit_reader', 'member') as reader,
                pg_has_role('whodunit_writer', 'member') as writer,
                pg_has_role('whodunit_admin', 'member') as admin,
                rolsuper as superuser,
                has_table_privilege('public.games', 'select') as app_data
           from pg_roles where rolname = current_user`,
      );
      expect(rows).toEqual([{ reader: true, writer: true, admin: false, superuser: false, app_data: false }]);
      // What collector/src/sources/postgres_audit.ts runs.
      await client.query('listen whodunit_alert');
      await client.query(`select * from audit.mass_deletes(now() - interval '1 hour', null)`);
      await client.query(`select id, command_tag from audit.ddl_changes limit 1`);
      await client.query('select * from audit.seal()');
      await client.query('select audit.maintain()');
      await expect(client.query(`select audit.enable('public.games')`)).rejects.toThrow(/permission denied/);
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
