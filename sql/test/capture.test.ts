// What the capture triggers store: changed columns only, nothing for a no-op, hashed sensitive
// values, tables without a primary key, partitions, DDL, and the enable/disable switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { connect, ingest, listenForAlerts } from './support.js';

let server: PostgresServer;
let db: pg.Client;

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  db = await connect(server.url);
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
});

// Reads the trail as an operator would with the collector running: after audit.ingest().
const rows = async (sql: string, params: unknown[] = []) => {
  await ingest(db);
  return (await db.query(sql, params)).rows;
};
const changesOf = (table: string) =>
  rows(
    `select operation, record_pk, old_values, new_values, changed_columns from audit.row_changes where table_name = $1 order by id`,
    [table],
  );

describe('row capture', () => {
  it('stores only the changed columns plus the key for an UPDATE, and nothing for a no-op UPDATE', async () => {
    await db.query(`create table users (id int primary key, name text, email text, bio text);
                    select audit.enable('users');
                    insert into users values (1, 'ann', 'ann@example.org', 'long bio');`);
    await db.query(`update users set name = 'anne', bio = 'long bio' where id = 1`);
    await db.query(`update users set name = name`);
    expect(await changesOf('users')).toEqual([
      {
        operation: 'INSERT',
        record_pk: { id: 1 },
        old_values: null,
        new_values: { id: 1, name: 'ann', email: 'ann@example.org', bio: 'long bio' },
        changed_columns: null,
      },
      {
        operation: 'UPDATE',
        record_pk: { id: 1 },
        old_values: { name: 'ann' },
        new_values: { name: 'anne' },
        changed_columns: ['name'],
      },
    ]);
    expect(await rows(`select count(*)::int as n from audit.statements where table_name = 'users'`)).toEqual([
      { n: 2 },
    ]);
  });

  it('records the old key when an UPDATE changes the primary key', async () => {
    await db.query(`update users set id = 2 where id = 1`);
    const last = (await changesOf('users')).at(-1);
    expect(last).toMatchObject({
      record_pk: { id: 1 },
      old_values: { id: 1 },
      new_values: { id: 2 },
      changed_columns: ['id'],
    });
  });

  it('stores sensitive columns hashed, never in clear, and still sees that they changed', async () => {
    await db.query(`select audit.set_sensitive('users', '{email}')`);
    await db.query(`update users set email = 'secret-new@example.org' where id = 2`);
    await db.query(`update users set email = 'secret-new@example.org', name = 'ann b' where id = 2`);
    const [first, second] = (await changesOf('users')).slice(-2);
    expect(first.changed_columns).toEqual(['email']);
    expect(first.old_values.email).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.new_values.email).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.changed_columns).toEqual(['name']);
    const statement = await rows(
      `select statement from audit.statements where table_name = 'users' order by id desc limit 1`,
    );
    expect(statement).toEqual([{ statement: `update users set email = '?', name = '?' where id = ?` }]);
    const clear = await rows(
      `select count(*)::int as n from audit.row_changes r where r::text like '%secret-new%'`,
    );
    expect(clear).toEqual([{ n: 0 }]);
    expect(
      (await rows(`select sensitive_columns from audit.tracked_tables() where table_name = 'users'`))[0],
    ).toEqual({ sensitive_columns: ['email'] });
  });

  it('supports a table without a primary key: the whole row identifies it', async () => {
    await db.query(`create table readings (sensor text, value int);
                    select audit.enable('readings');
                    insert into readings values ('a', 1), ('b', 2);
                    update readings set value = 3 where sensor = 'a';`);
    expect(
      (
        await rows(
          `select identified_by, key_columns from audit.tracked_tables() where table_name = 'readings'`,
        )
      )[0],
    ).toEqual({
      identified_by: 'whole row (no primary key)',
      key_columns: [],
    });
    const history = await rows(
      `select operation, changed_columns from audit.who_changed('public.readings', '{"sensor": "a", "value": 1}')`,
    );
    expect(history).toEqual([
      { operation: 'UPDATE', changed_columns: ['value'] },
      { operation: 'INSERT', changed_columns: null },
    ]);
  });

  it('finds rows of a composite key by a JSON object, and says how when given a plain value', async () => {
    await db.query(`create table seats (room text, seat int, holder text, primary key (room, seat));
                    select audit.enable('seats');
                    insert into seats values ('A', 1, 'x');
                    delete from seats;`);
    expect(
      await rows(`select operation from audit.who_changed('seats', '{"room": "A", "seat": 1}')`),
    ).toEqual([{ operation: 'DELETE' }, { operation: 'INSERT' }]);
    await expect(db.query(`select * from audit.who_changed('seats', 'A')`)).rejects.toThrow(
      /several columns \(room, seat\); pass pk as a JSON object/,
    );
  });

  it('matches text and uuid keys as well as numbers', async () => {
    await db.query(`create table tokens (id uuid primary key, label text);
                    select audit.enable('tokens');
                    insert into tokens values ('7f1c5f4e-9a4b-4b1e-8f59-2f4b1f0c9d11', 't');
                    create table tags (name text primary key);
                    select audit.enable('tags');
                    insert into tags values ('42');`);
    expect(
      await rows(`select operation from audit.who_changed('tokens', '7f1c5f4e-9a4b-4b1e-8f59-2f4b1f0c9d11')`),
    ).toEqual([{ operation: 'INSERT' }]);
    expect(await rows(`select operation from audit.who_changed('tags', '42')`)).toEqual([
      { operation: 'INSERT' },
    ]);
  });

  it('follows ALTER TABLE: new columns are captured and stay out of the key', async () => {
    await db.query(`alter table users add column phone text`);
    await db.query(`update users set phone = '555' where id = 2`);
    expect((await changesOf('users')).at(-1)).toMatchObject({
      record_pk: { id: 2 },
      new_values: { phone: '555' },
    });
    expect(
      await rows(
        `select command_tag, object_identity from audit.ddl_changes where object_identity = 'public.users' order by id`,
      ),
    ).toEqual([
      { command_tag: 'CREATE TABLE', object_identity: 'public.users' },
      { command_tag: 'ALTER TABLE', object_identity: 'public.users' },
    ]);
  });

  it('captures a partitioned table through the parent, a partition, and a partition created later', async () => {
    await db.query(`create table orders (id int, region text, primary key (id, region)) partition by list (region);
                    create table orders_eu partition of orders for values in ('eu');
                    select audit.enable('orders');
                    create table orders_us partition of orders for values in ('us');
                    insert into orders values (1, 'eu'), (2, 'us');
                    insert into orders_eu values (3, 'eu');`);
    expect(
      await rows(`select table_name, rows from audit.statements where table_name like 'orders%' order by id`),
    ).toEqual([
      { table_name: 'orders', rows: '2' },
      { table_name: 'orders_eu', rows: '1' },
    ]);
    await db.query(`insert into orders_us values (4, 'us')`);
    expect(
      (
        await rows(
          `select table_name from audit.statements where table_name like 'orders%' order by id desc limit 1`,
        )
      )[0],
    ).toEqual({ table_name: 'orders_us' });
  });

  it('records TRUNCATE with the number of rows it removed', async () => {
    await db.query(`truncate readings`);
    expect(
      await rows(
        `select operation, rows from audit.statements where table_name = 'readings' order by id desc limit 1`,
      ),
    ).toEqual([{ operation: 'TRUNCATE', rows: '2' }]);
  });

  it('alerts on a mass UPDATE at the configured threshold, not below it', async () => {
    const listener = await listenForAlerts(server.url);
    try {
      await db.query(`update audit.settings set mass_change_rows = 3;
                      create table items (id int primary key, n int);
                      select audit.enable('items');
                      insert into items select g, 0 from generate_series(1, 5) g;
                      update items set n = 1 where id <= 2;
                      update items set n = 2 where id <= 3;`);
      await ingest(db); // sends the alerts of what it ingests, at its COMMIT
      await db.query(`select pg_notify('whodunit_alert', '{"kind":"done"}')`);
      await listener.until('done');
      expect(listener.alerts.map((a) => [a.kind, a.table, a.rows])).toEqual([
        ['mass_update', 'public.items', 3],
        ['done', undefined, undefined],
      ]);
    } finally {
      await listener.close();
    }
  });

  it('stops capturing on disable, and records and alerts that auditing was switched off', async () => {
    const listener = await listenForAlerts(server.url);
    try {
      await db.query(
        `select audit.disable('tags'); insert into tags values ('unseen'); select pg_notify('whodunit_alert', '{"kind":"done"}')`,
      );
      await listener.until('done');
      expect(listener.alerts[0]).toMatchObject({
        kind: 'audit_disabled',
        table: 'public.tags',
        db_user: 'postgres',
      });
      expect(
        await rows(`select count(*)::int as n from audit.row_changes where table_name = 'tags'`),
      ).toEqual([{ n: 1 }]);
      expect(
        await rows(`select type, severity from audit.security_events where type = 'audit_disabled'`),
      ).toEqual([{ type: 'audit_disabled', severity: 'warning' }]);
      expect(await rows(`select table_name from audit.tracked_tables() where table_name = 'tags'`)).toEqual(
        [],
      );
    } finally {
      await listener.close();
    }
  });
});
