// The request context is transaction-local: it must never leak to the next transaction on the same
// connection (what a transaction-mode pooler such as pgbouncer hands to the next client).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { asUser, connect } from './support.js';

let server: PostgresServer;
let client: pg.Client;

const alice = {
  userId: 'u-1',
  username: 'alice',
  correlationId: 'req-a',
  clientIp: '198.51.100.1',
  userAgent: 'Firefox',
  request: 'POST /notes',
};

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  client = await connect(server.url, 'notes-api');
  await client.query(`create table notes (id serial primary key, body text); select audit.enable('notes')`);
});

afterAll(async () => {
  await client?.end();
  await server?.stop();
});

/** Reads the trail as it is once the collector has ingested what committed. */
async function read(sql: string) {
  await server.query('select audit.ingest()');
  return server.query(sql);
}

/** The context recorded for the last statement on notes. */
async function lastContext() {
  const rows =
    await read(`select app_user_id, app_username, correlation_id, client_ip, user_agent, request, db_user,
                                          application_name, client_addr, backend_pid, statement, rows
                                   from audit.statements where table_name = 'notes' order by id desc limit 1`);
  return rows.rows[0];
}

const noContext = {
  app_user_id: null,
  app_username: null,
  correlation_id: null,
  client_ip: null,
  user_agent: null,
  request: null,
};

describe('audit.set_context', () => {
  it('records the context for the transaction that set it', async () => {
    await asUser(client, alice, (c) =>
      c.query(`insert into notes (body) values ('hello')`).then(() => undefined),
    );
    expect(await lastContext()).toMatchObject({
      app_user_id: 'u-1',
      app_username: 'alice',
      correlation_id: 'req-a',
      client_ip: '198.51.100.1',
      user_agent: 'Firefox',
      request: 'POST /notes',
    });
  });

  it('is gone in the next transaction after COMMIT', async () => {
    await asUser(client, alice, (c) =>
      c.query(`insert into notes (body) values ('one')`).then(() => undefined),
    );
    await client.query(`insert into notes (body) values ('two')`);
    expect(await lastContext()).toMatchObject(noContext);
    const setting = await client.query(`select current_setting('whodunit.username', true) as v`);
    expect(setting.rows[0].v ?? '').toBe('');
  });

  it('is gone in the next transaction after ROLLBACK', async () => {
    await asUser(
      client,
      alice,
      (c) => c.query(`insert into notes (body) values ('lost')`).then(() => undefined),
      'rollback',
    );
    await client.query(`insert into notes (body) values ('three')`);
    expect(await lastContext()).toMatchObject(noContext);
  });

  it('is gone for the next client of a pooled connection', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 1, application_name: 'pooled' });
    try {
      const first = await pool.connect();
      const pid = (await first.query('select pg_backend_pid() as pid')).rows[0].pid;
      await asUser(first, alice, (c) =>
        c.query(`insert into notes (body) values ('first client')`).then(() => undefined),
      );
      first.release();

      const second = await pool.connect();
      expect((await second.query('select pg_backend_pid() as pid')).rows[0].pid).toBe(pid); // same connection
      await second.query('begin');
      await second.query(`insert into notes (body) values ('second client')`);
      await second.query('commit');
      second.release();
      expect(await lastContext()).toMatchObject({
        ...noContext,
        backend_pid: pid,
        application_name: 'pooled',
      });
    } finally {
      await pool.end();
    }
  });

  it('without context still records the database session and the statement (the 3 a.m. psql session)', async () => {
    const psql = await connect(server.url, 'psql');
    try {
      const pid = (await psql.query('select pg_backend_pid() as pid')).rows[0].pid;
      await psql.query(`update notes set body = 'oops' where body = 'two'`);
      expect(await lastContext()).toEqual({
        ...noContext,
        db_user: 'postgres',
        application_name: 'psql',
        client_addr: '127.0.0.1',
        backend_pid: pid,
        statement: `update notes set body = 'oops' where body = 'two'`,
        rows: '1',
      });
    } finally {
      await psql.end();
    }
  });

  it('stores the statement once per statement, however many rows it changed, truncated', async () => {
    const padding = `/* ${'x'.repeat(5000)} */`;
    await client.query(
      `insert into notes (body) select 'bulk' || g from generate_series(1, 50) g ${padding}`,
    );
    const rows = await read(`select s.id, s.rows, length(s.statement) as len, count(c.id)::int as changed
                                     from audit.statements s join audit.changed_rows c on c.statement_id = s.id
                                     where s.table_name = 'notes' and s.statement like '%bulk%'
                                     group by s.id, s.rows, s.statement`);
    expect(rows.rows).toEqual([{ id: expect.any(String), rows: '50', len: 4000, changed: 50 }]);
  });

  it('keeps the context of a savepoint that was rolled back out of the trail with its rows', async () => {
    await client.query('begin');
    await client.query(`select audit.set_context('u-9', 'mallory', 'req-sp', null, null, null)`);
    await client.query('savepoint s1');
    await client.query(`delete from notes`);
    await client.query('rollback to savepoint s1');
    await client.query(`insert into notes (body) values ('after savepoint')`);
    await client.query('commit');
    const rows = await read(
      `select operation, app_username from audit.statements where correlation_id = 'req-sp'`,
    );
    expect(rows.rows).toEqual([{ operation: 'INSERT', app_username: 'mallory' }]);
  });

  it('truncates long values and accepts NULLs', async () => {
    await asUser(
      client,
      {
        userId: null,
        username: 'x'.repeat(1000),
        correlationId: null,
        clientIp: null,
        userAgent: 'y'.repeat(10_000),
      },
      (c) => c.query(`insert into notes (body) values ('long')`).then(() => undefined),
    );
    const ctx = await lastContext();
    expect([ctx!.app_username.length, ctx!.user_agent.length, ctx!.app_user_id, ctx!.client_ip]).toEqual([
      200,
      500,
      null,
      null,
    ]);
  });
});
