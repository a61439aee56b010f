// audit.ingest(): the capture messages of committed transactions become audit rows, once, in
// order, whatever the values, however the call ends, and a message nobody can read never stops the
// trail. And only the capture itself may write such messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { connect, ingest } from './support.js';

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

const rows = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows;
const changesOf = (table: string) =>
  rows(`select operation, old_values, new_values from audit.row_changes where table_name = $1 order by id`, [
    table,
  ]);

describe('audit.ingest', () => {
  it('gives every value the JSON to_jsonb gives the row, for built-in, domain and enum columns', async () => {
    await db.query(`
      create type mood as enum ('calm', 'angry');
      create domain cents as bigint check (value >= 0);
      create table wide (
        id int primary key, price numeric(10, 2), ratio float8, ok boolean, at timestamptz, day date,
        doc jsonb, tags text[], counts int[], raw bytea, code char(4), note varchar(40), feeling mood,
        amount cents, missing text, weird text
      );
      select audit.enable('wide');`);
    await db.query(
      `insert into wide values (1, 12.50, 0.25, true, '2026-03-01 10:00:00+00', '2026-03-01',
         '{"a": [1, "x y"], "b": null}', '{"a,b", "c\\"d", ""}', '{1,2,3}', '\\x00ff', 'ab',
         'it''s (quoted), really', 'angry', 4200, null, e'tab\\there\\nline\\\\ and \\x1e inside')`,
    );
    await ingest(db);
    const [stored] = await rows(`select new_values from audit.row_changes where table_name = 'wide'`);
    const [expected] = await rows(`select to_jsonb(w) as j from wide w`);
    expect(stored.new_values).toEqual(expected.j);
  });

  it('reads rows of several statements whose values hold the row separator', async () => {
    await db.query(`create table notes (id int primary key, body text); select audit.enable('notes')`);
    await db.query(
      `insert into notes values (1, e'a\\x1e(b'), (2, e'\\x1e'), (3, 'plain'), (4, e'x)\\x1e(2,y')`,
    );
    await db.query(`update notes set body = body || e'\\x1e!'`);
    await ingest(db);
    const changes = await changesOf('notes');
    expect(changes.map((c) => c.operation)).toEqual([
      'INSERT',
      'INSERT',
      'INSERT',
      'INSERT',
      'UPDATE',
      'UPDATE',
      'UPDATE',
      'UPDATE',
    ]);
    expect(changes.slice(0, 4).map((c) => c.new_values.body)).toEqual([
      'a\x1e(b',
      '\x1e',
      'plain',
      'x)\x1e(2,y',
    ]);
    expect(changes[7]).toMatchObject({
      old_values: { body: 'x)\x1e(2,y' },
      new_values: { body: 'x)\x1e(2,y\x1e!' },
    });
  });

  it('writes nothing twice, and loses nothing, when ingests are rolled back, repeated in one transaction, or run at once', async () => {
    await db.query(`create table counters (id int primary key, n int); select audit.enable('counters')`);
    await db.query(`insert into counters select g, 0 from generate_series(1, 20) g`);
    await db.query('begin');
    expect(await ingest(db)).toBeGreaterThan(0);
    await db.query(`insert into counters values (21, 0)`);
    await ingest(db); // may not move the slot past what this transaction wrote
    await db.query('rollback'); // the same messages are read again
    await db.query(`update counters set n = 1 where id = 3`);
    const other = await connect(server.url);
    try {
      await Promise.all([ingest(db), ingest(other), ingest(db), ingest(other)]);
    } finally {
      await other.end();
    }
    const counts = await rows(
      `select operation, count(*)::int as n from audit.row_changes where table_name = 'counters' group by 1 order by 1`,
    );
    expect(counts).toEqual([
      { operation: 'INSERT', n: 20 },
      { operation: 'UPDATE', n: 1 },
    ]);
  });

  it('reads a backlog in batches, in commit order', async () => {
    await db.query(`create table log (id int primary key); select audit.enable('log')`);
    for (let i = 1; i <= 30; i++) await db.query(`insert into log values (${i})`);
    let calls = 0;
    while ((await db.query<{ n: string }>('select audit.ingest(5) as n')).rows[0]!.n !== '0') calls++;
    expect(calls).toBeGreaterThan(3);
    const ids = await rows(
      `select (new_values->>'id')::int as id from audit.row_changes where table_name = 'log' order by id`,
    );
    expect(ids.map((r) => r.id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('reads back rows of a table dropped, or altered, before they were ingested', async () => {
    await db.query(`create table temp_data (id int primary key, v text); select audit.enable('temp_data');
                    insert into temp_data values (1, 'one'), (2, 'two')`);
    await db.query(`begin; delete from temp_data where id = 1; alter table temp_data add column extra int default 7;
                    update temp_data set v = 'zwei'; drop table temp_data; commit`);
    await ingest(db);
    expect(await changesOf('temp_data')).toEqual([
      { operation: 'INSERT', old_values: null, new_values: { id: 1, v: 'one' } },
      { operation: 'INSERT', old_values: null, new_values: { id: 2, v: 'two' } },
      { operation: 'DELETE', old_values: { id: 1, v: 'one' }, new_values: null },
      { operation: 'UPDATE', old_values: { v: 'two' }, new_values: { v: 'zwei' } },
    ]);
    expect(
      await rows(
        `select command_tag from audit.ddl_changes where object_identity = 'public.temp_data' order by id`,
      ),
    ).toEqual([
      { command_tag: 'CREATE TABLE' },
      { command_tag: 'ALTER TABLE' },
      { command_tag: 'DROP TABLE' },
    ]);
  });

  it('keeps a message it cannot read as a critical security event and goes on with the next', async () => {
    // Only the schema owner can write one (see the next test): here the superuser does, by hand.
    await db.query(
      `begin; select pg_logical_emit_message(true, 'whodunit.insert', '00000002{}not a capture'); commit`,
    );
    await db.query(`insert into log values (100)`);
    await ingest(db); // the batch fails, the unreadable transaction alone is passed
    await ingest(db); // and the rest is read
    const [event] = await rows(
      `select severity, details from audit.security_events where type = 'capture_unreadable'`,
    );
    expect(event.severity).toBe('critical');
    expect(event.details.messages).toEqual([{ kind: 'whodunit.insert', body: '00000002{}not a capture' }]);
    expect(event.details.error).toEqual(expect.any(String));
    expect(
      await rows(
        `select count(*)::int as n from audit.row_changes where table_name = 'log' and new_values->>'id' = '100'`,
      ),
    ).toEqual([{ n: 1 }]);
  });

  it('lets no other role write a capture message (it would become an audit row)', async () => {
    await db.query(`create role forger login; grant whodunit_writer to forger`);
    const forger = await connect(server.urlFor('postgres', 'forger'));
    try {
      await expect(
        forger.query(`select pg_logical_emit_message(true, 'whodunit.delete', 'x')`),
      ).rejects.toThrow(/permission denied for function pg_logical_emit_message/);
    } finally {
      await forger.end();
    }
  });

  it('lets forensic calls skip their own ingest while the last one is fresher than forensic_freshness', async () => {
    await db.query(`create table fresh (id int primary key); select audit.enable('fresh')`);
    await ingest(db);
    await db.query(`update audit.settings set forensic_freshness = interval '1 hour'`);
    try {
      await db.query(`insert into fresh values (1)`);
      expect(await rows(`select * from audit.who_changed('public.fresh', '1')`)).toEqual([]); // not ingested yet
      await db.query(`update audit.settings set forensic_freshness = interval '0 seconds'`);
      expect(
        (await rows(`select operation from audit.who_changed('public.fresh', '1')`)).map((r) => r.operation),
      ).toEqual(['INSERT']);
    } finally {
      await db.query(`update audit.settings set forensic_freshness = interval '0 seconds'`);
    }
  });

  it('says when the capture slot is gone, and starts it again', async () => {
    const [{ slot_name: slot }] = await rows(`select slot_name from audit.capture_status()`);
    await db.query(`select pg_drop_replication_slot($1)`, [slot]);
    expect(await rows(`select slot_exists from audit.capture_status()`)).toEqual([{ slot_exists: false }]);
    const warnings: string[] = [];
    const onNotice = (n: { message?: string }) => warnings.push(n.message ?? '');
    db.on('notice', onNotice);
    try {
      expect(await ingest(db)).toBe(0);
    } finally {
      db.off('notice', onNotice);
    }
    expect(warnings.join('\n')).toMatch(/capture is not started/);
    await db.query('begin');
    await db.query(`insert into log values (200)`);
    await expect(db.query('select audit.start_capture()')).rejects.toThrow(
      /transaction that has written nothing/,
    );
    await db.query('rollback');
    expect(await rows(`select audit.start_capture() as slot`)).toEqual([{ slot }]);
    await db.query(`insert into log values (201)`);
    await ingest(db);
    expect(
      await rows(
        `select count(*)::int as n from audit.row_changes where table_name = 'log' and new_values->>'id' = '201'`,
      ),
    ).toEqual([{ n: 1 }]);
  });
});
