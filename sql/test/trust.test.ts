// Roles and privileges, sealing semantics, and retention that keeps the chain verifiable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { connect } from './support.js';

let server: PostgresServer;
let db: pg.Client;

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  db = await connect(server.url);
  await db.query(`create table notes (id int primary key, body text); select audit.enable('notes');
                  create role stranger login; create role grafana login in role whodunit_reader;
                  create role collector login in role whodunit_writer; create role ops login in role whodunit_admin;
                  grant select, insert, update, delete on notes to stranger, grafana, collector, ops;`);
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
});

async function as<T>(role: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(server.urlFor('postgres', role));
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('privileges', () => {
  it('grants nothing in schema audit to PUBLIC', async () => {
    const leaks = await db.query(`
      select 'function ' || p.oid::regprocedure as object from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'audit' and has_function_privilege('stranger', p.oid, 'execute')
      union all
      select 'relation ' || c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'audit' and (has_table_privilege('stranger', c.oid, 'select') or has_table_privilege('stranger', c.oid, 'insert'))
      union all
      select 'schema audit' where has_schema_privilege('stranger', 'audit', 'usage')`);
    expect(leaks.rows).toEqual([]);
  });

  it('still audits what an unprivileged role changes, with its login name', async () => {
    await as('stranger', (c) => c.query(`insert into notes values (1, 'from a stranger')`));
    await db.query('select audit.ingest()');
    expect((await db.query(`select db_user from audit.row_changes where table_name = 'notes'`)).rows).toEqual(
      [{ db_user: 'stranger' }],
    );
  });

  it('lets the reader ask forensic questions but not change what is audited', async () => {
    const history = await as('grafana', (c) =>
      c.query(`select operation from audit.who_changed('public.notes', '1')`),
    );
    expect(history.rows).toEqual([{ operation: 'INSERT' }]);
    await expect(as('grafana', (c) => c.query(`select audit.disable('notes')`))).rejects.toThrow(
      /permission denied for function disable/,
    );
    await expect(
      as('grafana', (c) => c.query(`insert into audit.events (action) values ('x')`)),
    ).rejects.toThrow(/permission denied/);
    await expect(as('grafana', (c) => c.query(`select hash_salt from audit.settings`))).rejects.toThrow(
      /permission denied/,
    );
  });

  it('lets the writer set context, insert events, seal and maintain, and nothing more', async () => {
    await as('collector', async (c) => {
      await c.query(
        `insert into audit.events (action, username, correlation_id) values ('login', 'ann', 'req-9')`,
      );
      await c.query(
        `insert into audit.security_events (type, severity, username) values ('login_failed', 'warning', 'ann')`,
      );
      await c.query('select audit.seal()');
      await c.query('select audit.maintain()');
    });
    const stored = await db.query(`select action, content_hash is not null as hashed from audit.events`);
    expect(stored.rows).toEqual([{ action: 'login', hashed: true }]);
    await expect(as('collector', (c) => c.query(`select * from audit.timeline('req-9')`))).rejects.toThrow(
      /permission denied/,
    );
    await expect(as('collector', (c) => c.query(`update audit.events set action = 'x'`))).rejects.toThrow(
      /permission denied/,
    );
    await expect(
      as('collector', (c) =>
        c.query(`insert into audit.events (action, content_hash) values ('forged', '\\x00')`),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  it('lets the admin enable, disable and apply retention', async () => {
    await as('ops', async (c) => {
      await c.query(`select audit.disable('notes')`);
      await c.query(`select audit.enable('notes')`);
      await c.query(`select audit.apply_retention()`);
      await c.query(`update audit.settings set mass_change_rows = 50`);
    });
    expect((await db.query(`select table_name from audit.tracked_tables()`)).rows).toEqual([
      { table_name: 'notes' },
    ]);
  });
});

describe('sealing', () => {
  it('does not seal past a transaction that is still open, and seals its rows once it commits', async () => {
    await db.query('select audit.seal()');
    await db.query('select audit.seal()');
    const open = await connect(server.url);
    try {
      // Application events are written inside the app's own transaction (row changes are written
      // by audit.ingest(), after their transaction committed).
      await open.query('begin');
      await open.query(`insert into audit.events (action) values ('slow.transaction')`);
      const rowId = (await open.query(`select max(id) as id from audit.events`)).rows[0].id;
      await db.query('select audit.seal()');
      await db.query('select audit.seal()');
      const covered = await db.query(`select coalesce(max(to_id), 0) >= $1 as sealed from audit.seals`, [
        rowId,
      ]);
      expect(covered.rows).toEqual([{ sealed: false }]);

      await open.query('commit');
      await db.query('select audit.seal()');
      await db.query('select audit.seal()');
      const after = await db.query(`select max(to_id) >= $1 as sealed from audit.seals`, [rowId]);
      expect(after.rows).toEqual([{ sealed: true }]);
      expect((await db.query(`select * from audit.verify_chain(null, null)`)).rows).toEqual([]);
    } finally {
      await open.end();
    }
  });

  it('refuses to run inside a transaction that already wrote', async () => {
    await db.query('begin');
    await db.query(`insert into notes values (3, 'x')`);
    await expect(db.query('select audit.seal()')).rejects.toThrow(/in a transaction of its own/);
    await db.query('rollback');
  });

  it('catches a deleted sealed row and a rewritten seal', async () => {
    const admin = await connect(server.url);
    try {
      await admin.query('set session_replication_role = replica');
      await admin.query(`delete from audit.events where action = 'login'`);
      await admin.query(
        `update audit.seals set prev_hash = '\\x01' where seal_id = (select max(seal_id) from audit.seals)`,
      );
    } finally {
      await admin.end();
    }
    const breaks = await db.query(
      `select kind, detail from audit.verify_chain(null, null) order by kind, detail`,
    );
    expect(breaks.rows).toEqual([
      { kind: 'seal', detail: expect.stringMatching(/changed since sealing: \d+ rows now, \d+ when sealed/) },
      { kind: 'seal', detail: 'seal does not link to the previous seal' },
    ]);
  });

  it('catches a row hidden from who_changed by an edited lookup key, one row or many', async () => {
    await db.query(`create table pins (id int primary key, code text); select audit.enable('pins');
                    insert into pins values (1, 'a');
                    insert into pins values (2, 'b'), (3, 'c');`);
    const before = await db.query(
      `select count(*)::int as n from audit.verify_chain(null, null) where kind = 'row'`,
    );
    const admin = await connect(server.url);
    try {
      await admin.query('set session_replication_role = replica');
      // Recomputing content_hash does not help: the key no longer matches the row it indexes.
      await admin.query(`update audit.statements s set row_key = 0, content_hash = audit.statement_hash(s)
                         where table_name = 'pins' and record_pk = '{"id": 1}'`);
      await admin.query(
        `update audit.changed_rows set row_key = 0 where table_name = 'pins' and record_pk = '{"id": 3}'`,
      );
    } finally {
      await admin.end();
    }
    expect((await db.query(`select operation from audit.who_changed('public.pins', '1')`)).rows).toEqual([]);
    const breaks = await db.query(
      `select table_name from audit.verify_chain(null, null) where kind = 'row' order by table_name`,
    );
    expect(breaks.rows.length - before.rows[0].n).toBe(2);
    expect(breaks.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['changed_rows', 'statements']),
    );
  });
});

describe('partitions and retention', () => {
  it('keeps monthly partitions ahead and drops only whole months past retention', async () => {
    const parts =
      await db.query(`select count(*)::int as n from pg_inherits i join pg_class p on p.oid = i.inhparent
                                  where p.relname = 'events' and p.relnamespace = 'audit'::regnamespace`);
    expect(parts.rows[0].n).toBeGreaterThanOrEqual(4); // last month, this month, 2 ahead (+ default)

    // An old month, as if the trail had run for years.
    await db.query(`create table audit.events_p200001 partition of audit.events for values from ('2000-01-01 00:00Z') to ('2000-02-01 00:00Z');
                    insert into audit.events (occurred_at, action) values ('2000-01-15 00:00Z', 'ancient');
                    insert into audit.events (action) values ('recent')`);
    await db.query('select audit.seal()');
    await db.query('select audit.seal()');
    const dropped = await db.query(`select * from audit.apply_retention()`);
    expect(dropped.rows).toEqual([{ apply_retention: 'events_p200001' }]);
    expect(
      (await db.query(`select action from audit.events where action in ('ancient', 'recent')`)).rows,
    ).toEqual([{ action: 'recent' }]);
    const run = await db.query(`select dropped_partitions from audit.retention_runs`);
    expect(run.rows).toEqual([{ dropped_partitions: ['events_p200001'] }]);
    const logged = await db.query(`select type from audit.security_events where type = 'retention'`);
    expect(logged.rows).toEqual([{ type: 'retention' }]);
    // The seals made after retention still verify; older breaks were planted by the test above.
    const since = (await db.query(`select max(occurred_at) as t from audit.retention_runs`)).rows[0].t;
    await db.query('select audit.seal()');
    await db.query('select audit.seal()');
    expect(
      (await db.query(`select * from audit.verify_chain($1, null) where kind = 'row'`, [since])).rows,
    ).toEqual([]);
  });
});
