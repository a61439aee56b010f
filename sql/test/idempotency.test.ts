// 009: the collector's idempotent writes into audit.events and audit.security_events.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { connect } from './support.js';

let server: PostgresServer;
let db: pg.Client;
let writer: pg.Client;

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  db = await connect(server.url);
  await db.query('create role sink login in role whodunit_writer');
  writer = await connect(server.urlFor('postgres', 'sink'));
});

afterAll(async () => {
  await writer?.end();
  await db?.end();
  await server?.stop();
});

const key = (text: string) => createHash('sha256').update(text).digest('hex');

// What the collector's sink sends: no conflict target and no RETURNING, so no SELECT privilege needed.
const insertEvent = (k: string | null, action: string) =>
  writer.query(
    `insert into audit.events (occurred_at, action, username, idempotency_key)
     values ('2026-11-20 10:00:00.123456+00', $1, 'alice', $2)
     on conflict do nothing`,
    [action, k],
  );

describe('idempotency keys', () => {
  it('lets the writer insert an event twice under one key and keeps one row', async () => {
    const first = await insertEvent(key('entry-1'), 'user.delete');
    const replay = await insertEvent(key('entry-1'), 'user.delete');
    expect([first.rowCount, replay.rowCount]).toEqual([1, 0]);
    const rows = await db.query(`select action from audit.events where idempotency_key = $1`, [
      key('entry-1'),
    ]);
    expect(rows.rows).toEqual([{ action: 'user.delete' }]);
  });

  it('never merges rows written without a key', async () => {
    await insertEvent(null, 'app.direct');
    await insertEvent(null, 'app.direct');
    const rows = await db.query(`select count(*)::int as n from audit.events where action = 'app.direct'`);
    expect(rows.rows).toEqual([{ n: 2 }]);
  });

  it('deduplicates security events the same way', async () => {
    const insert = () =>
      writer.query(
        `insert into audit.security_events (occurred_at, type, severity, ip, details, idempotency_key)
         values (now(), 'sql_injection', 'critical', '203.0.113.9', '{"reason":"UNION SELECT"}', $1)
         on conflict do nothing`,
        [key('detection-1')],
      );
    // Same statement time: both run in one transaction.
    await writer.query('begin');
    const replay = await insert()
      .then(insert)
      .finally(() => writer.query('commit'));
    expect(replay.rowCount).toBe(0);
    const rows = await db.query(
      `select count(*)::int as n from audit.security_events where idempotency_key = $1`,
      [key('detection-1')],
    );
    expect(rows.rows).toEqual([{ n: 1 }]);
  });

  it('refuses a key that is not a sha256 in hex', async () => {
    await expect(insertEvent('not-a-key', 'user.delete')).rejects.toThrow(/check constraint/);
  });

  it('keeps content hashes and the sealed chain verifiable with keyed rows', async () => {
    await insertEvent(key('entry-2'), 'user.update');
    await db.query('select audit.seal()');
    await db.query('select audit.seal()');
    const sealed = await db.query(
      `select max(to_id) >= (select max(id) from audit.events) as covered from audit.seals`,
    );
    expect(sealed.rows).toEqual([{ covered: true }]);
    expect((await db.query('select * from audit.verify_chain(null, null)')).rows).toEqual([]);
    // The key is delivery metadata: the stored hash is the hash of the event's content alone.
    const hashes = await db.query(
      `select e.content_hash = audit.event_hash(e) as same from audit.events e where e.idempotency_key = $1`,
      [key('entry-2')],
    );
    expect(hashes.rows).toEqual([{ same: true }]);
  });
});
