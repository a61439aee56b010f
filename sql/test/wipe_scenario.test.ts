// The wipe scenario, end to end on a real PostgreSQL: mallory deletes 500 rows in one
// request, bob's delete is rolled back, eve truncates, trent drops a table, alice updates one row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { asUser, connect, listenForAlerts } from './support.js';

let server: PostgresServer;
let app: pg.Client;
let listener: Awaited<ReturnType<typeof listenForAlerts>>;
let since: Date;

const mallory = {
  userId: 'u-13',
  username: 'mallory',
  correlationId: 'req-mallory',
  clientIp: '203.0.113.9',
  userAgent: 'curl/8.5',
  request: 'DELETE /api/accounts',
};
const bob = { userId: 'u-2', username: 'bob', correlationId: 'req-bob', clientIp: '198.51.100.2' };
const eve = { userId: 'u-5', username: 'eve', correlationId: 'req-eve', clientIp: '198.51.100.5' };
const trent = { userId: 'u-7', username: 'trent', correlationId: 'req-trent', clientIp: '198.51.100.7' };
const alice = { userId: 'u-1', username: 'alice', correlationId: 'req-alice', clientIp: '198.51.100.1' };

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  app = await connect(server.url, 'shop-api');
  await app.query(`
    create table public.accounts (id int primary key, owner text not null, balance int not null);
    create table public.games (id int primary key, title text);
    create table public.scratch (id int);
    select audit.enable_schema('public');
    insert into public.accounts select g, 'owner' || g, 100 from generate_series(1, 600) g;
    insert into public.games select g, 'game' || g from generate_series(1, 150) g;
  `);
  listener = await listenForAlerts(server.url);
  since = (await app.query<{ now: Date }>('select now()')).rows[0]!.now;

  await asUser(app, mallory, async (c) => {
    await c.query('delete from public.accounts where id <= 500');
    await c.query(`insert into audit.events (action, resource_type, resource_id, username, user_id, ip, success, correlation_id)
                   values ('accounts.purge', 'account', '1-500', 'mallory', 'u-13', '203.0.113.9', true, 'req-mallory')`);
    await c.query(`insert into audit.security_events (type, severity, username, ip, details, correlation_id)
                   values ('privilege_use', 'warning', 'mallory', '203.0.113.9', '{"permission":"accounts.purge"}', 'req-mallory')`);
  });
  await asUser(
    app,
    bob,
    (c) => c.query('delete from public.accounts where id > 500').then(() => undefined),
    'rollback',
  );
  await asUser(app, eve, (c) => c.query('truncate public.games').then(() => undefined));
  await asUser(app, trent, (c) => c.query('drop table public.scratch').then(() => undefined));
  await asUser(app, alice, (c) =>
    c.query('update public.accounts set balance = 99 where id = 501').then(() => undefined),
  );
  // Notifications are delivered in commit order: once this one arrives, all earlier ones have.
  await app.query(`select pg_notify('whodunit_alert', '{"kind":"end-of-scenario"}')`);
  await listener.until('end-of-scenario');
});

afterAll(async () => {
  await listener?.close();
  await app?.end();
  await server?.stop();
});

const call = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
  (await app.query<R>(sql, params)).rows;

describe('wipe scenario', () => {
  it('notifies for committed work only: the mass delete, the truncate and the drop', () => {
    const kinds = listener.alerts.filter((a) => a.kind !== 'end-of-scenario');
    expect(kinds.map((a) => [a.kind, a.table, a.app_username])).toEqual([
      ['mass_delete', 'public.accounts', 'mallory'],
      ['truncate', 'public.games', 'eve'],
      ['drop', 'public.scratch', 'trent'],
    ]);
    expect(kinds[0]).toMatchObject({
      rows: 500,
      correlation_id: 'req-mallory',
      client_ip: '203.0.113.9',
      app_user_id: 'u-13',
    });
    expect(typeof kinds[0]!.tx_id).toBe('number');
    expect(Date.parse(String(kinds[0]!.time))).not.toBeNaN();
    expect(kinds[1]).toMatchObject({ rows: 150, correlation_id: 'req-eve' });
    expect(kinds[2]).toMatchObject({ correlation_id: 'req-trent', client_ip: '198.51.100.7' });
  });

  it('mass_deletes names mallory and eve, not bob', async () => {
    const rows = await call(`select * from audit.mass_deletes($1, 100)`, [since]);
    expect(
      rows.map((r) => [
        r.app_username,
        r.table_name,
        r.operation,
        Number(r.rows),
        r.correlation_id,
        r.client_ip,
      ]),
    ).toEqual([
      ['eve', 'games', 'TRUNCATE', 150, 'req-eve', '198.51.100.5'],
      ['mallory', 'accounts', 'DELETE', 500, 'req-mallory', '203.0.113.9'],
    ]);
    expect(rows[1]!.statement).toBe('delete from public.accounts where id <= 500');
    expect(await call(`select * from audit.mass_deletes($1)`, [since])).toHaveLength(2);
    expect(await call(`select * from audit.mass_deletes($1, 501)`, [since])).toHaveLength(0);
  });

  it('who_changed gives a deleted row its history, newest first, with old values', async () => {
    const rows = await call(`select * from audit.who_changed('public.accounts', '42')`);
    expect(rows.map((r) => [r.operation, r.app_username])).toEqual([
      ['DELETE', 'mallory'],
      ['INSERT', null],
    ]);
    expect(rows[0]).toMatchObject({
      old_values: { id: 42, owner: 'owner42', balance: 100 },
      correlation_id: 'req-mallory',
      client_ip: '203.0.113.9',
    });
    expect(rows[1]!.db_user).toBe('postgres');
  });

  it("who_changed shows alice's one-column update and nothing of bob's rolled back delete", async () => {
    const rows = await call(`select * from audit.who_changed('public.accounts'::regclass, '501')`);
    expect(rows.map((r) => r.operation)).toEqual(['UPDATE', 'INSERT']);
    expect(rows[0]).toMatchObject({
      app_username: 'alice',
      changed_columns: ['balance'],
      old_values: { balance: 100 },
      new_values: { balance: 99 },
    });
  });

  it('who_changed answers for a truncated table and a dropped one', async () => {
    const games = await call(`select * from audit.who_changed('public.games', '7')`);
    expect(games.map((r) => [r.operation, r.app_username])).toEqual([
      ['TRUNCATE', 'eve'],
      ['INSERT', null],
    ]);
    const ddl = await call(
      `select * from audit.ddl_changes where object_identity = 'public.scratch' order by id`,
    );
    expect(ddl.map((r) => [r.command_tag, r.app_username])).toEqual([
      ['CREATE TABLE', null],
      ['DROP TABLE', 'trent'],
    ]);
  });

  it('user_activity lists what mallory did, and nothing for bob', async () => {
    const rows = await call(`select * from audit.user_activity('mallory', $1, now() + interval '1 minute')`, [
      since,
    ]);
    expect(rows.map((r) => [r.source, r.action, r.object, r.rows === null ? null : Number(r.rows)])).toEqual([
      ['row_change', 'DELETE', 'public.accounts', 500],
      ['event', 'accounts.purge', 'account:1-500', null],
      ['security', 'privilege_use', 'warning', null],
    ]);
    expect(await call(`select * from audit.user_activity('bob', $1, null)`, [since])).toEqual([]);
  });

  it('timeline puts one request in time order across row changes, DDL, events and security events', async () => {
    const rows = await call(`select * from audit.timeline('req-mallory')`);
    expect(rows.map((r) => [r.source, r.action, r.username])).toEqual([
      ['row_change', 'DELETE', 'mallory'],
      ['event', 'accounts.purge', 'mallory'],
      ['security', 'privilege_use', 'mallory'],
    ]);
    expect(rows[0]!.detail).toMatchObject({ request: 'DELETE /api/accounts', user_agent: 'curl/8.5' });
    expect(
      (await call(`select * from audit.timeline('req-trent')`)).map((r) => [r.source, r.action, r.object]),
    ).toEqual([['ddl', 'DROP TABLE', 'public.scratch']]);
    expect(
      (await call(`select * from audit.timeline('req-eve')`)).map((r) => [r.action, Number(r.rows)]),
    ).toEqual([['TRUNCATE', 150]]);
    expect(await call(`select * from audit.timeline('req-bob')`)).toEqual([]);
  });

  it('row_changes holds one row per deleted row with the request context', async () => {
    const [row] = await call(`select count(*)::int as n, count(distinct statement_id)::int as statements,
                                     min(app_username) as who, min(request) as request
                              from audit.row_changes where correlation_id = 'req-mallory'`);
    expect(row).toEqual({ n: 500, statements: 1, who: 'mallory', request: 'DELETE /api/accounts' });
  });

  it('logs every forensic call in access_log with its arguments', async () => {
    const rows = await call(
      `select function_name, arguments from audit.access_log where function_name = 'audit.timeline' order by id`,
    );
    expect(rows.map((r) => r.arguments.correlation_id)).toEqual([
      'req-mallory',
      'req-trent',
      'req-eve',
      'req-bob',
    ]);
    const names = await call(`select distinct function_name from audit.access_log order by 1`);
    expect(names.map((r) => r.function_name)).toEqual([
      'audit.mass_deletes',
      'audit.timeline',
      'audit.user_activity',
      'audit.who_changed',
    ]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the trail, even to the superuser owner', async () => {
    for (const sql of [
      `update audit.statements set app_username = 'bob' where app_username = 'mallory'`,
      `delete from audit.changed_rows where table_name = 'accounts'`,
      `delete from audit.events`,
      `truncate audit.statements`,
      `truncate audit.changed_rows_default`,
      `drop table audit.events_default`,
    ]) {
      await expect(app.query(sql), sql).rejects.toThrow(/append-only/);
    }
  });

  it('verify_chain is clean, then catches a superuser edit with triggers disabled, before and after sealing', async () => {
    expect(await call(`select * from audit.verify_chain(null, null)`)).toEqual([]);
    await app.query('select audit.seal()');
    const sealed = await call(`select * from audit.seal()`);
    expect(Number(sealed[0]!.row_count)).toBeGreaterThan(500);
    expect(await call(`select * from audit.verify_chain($1, null)`, [since])).toEqual([]);

    // Sealed row, edited together with its hash (the superuser knows the formula): the seal breaks.
    const admin = await connect(server.url, 'psql');
    await admin.query('set session_replication_role = replica');
    await admin.query(`update audit.statements set app_username = 'bob' where app_username = 'mallory'`);
    await admin.query(
      `update audit.statements s set content_hash = audit.statement_hash(s) where s.correlation_id = 'req-mallory'`,
    );
    // Unsealed row (alice's update happened before the seal, so make a new one first), content only.
    await admin.query('set session_replication_role = origin');
    await asUser(admin, alice, (c) =>
      c.query('update public.accounts set balance = 7 where id = 502').then(() => undefined),
    );
    await admin.query('set session_replication_role = replica');
    await admin.query(
      // A one-row statement keeps its row inline, in its audit.statements row.
      `update audit.statements set new_values = '{"balance": 1000}' where record_pk = '{"id": 502}' and operation = 'UPDATE'`,
    );
    await admin.query('set session_replication_role = origin');
    await admin.end();

    const breaks = await call(`select * from audit.verify_chain($1, null)`, [since]);
    expect(breaks.map((b) => [b.kind, b.table_name])).toEqual([
      ['row', 'statements'],
      ['seal', 'seals'],
    ]);
    expect(breaks[0]!.expected_hash).not.toBe(breaks[0]!.found_hash);
    expect(breaks[1]!.detail).toMatch(/changed since sealing/);
    expect(breaks[1]!.row_id).toBe(sealed[0]!.seal_id);
  });
});
