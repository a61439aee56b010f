// Bad input: unknown tables, NULL arguments, huge rows, many writers at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPostgres, type PostgresServer } from '@whodunit/testkit';
import { migrate } from '@whodunit/sql';
import { asUser, connect } from './support.js';

let server: PostgresServer;
let db: pg.Client;

beforeAll(async () => {
  server = await startPostgres({ init: async (url) => void (await migrate(url)) });
  db = await connect(server.url);
  await db.query(`create table docs (id int primary key, body text); select audit.enable('docs');
                  create view docs_view as select * from docs;`);
});

afterAll(async () => {
  await db?.end();
  await server?.stop();
});

const rejects = (sql: string, message: RegExp) => expect(db.query(sql), sql).rejects.toThrow(message);

describe('bad input', () => {
  it('names the object and the reason for unknown or unsuitable tables', async () => {
    await rejects(`select audit.enable('no_such_table')`, /relation "no_such_table" does not exist/);
    await rejects(
      `select audit.enable('docs_view')`,
      /^audit\.enable: public\.docs_view is not a table \(relkind v\)$/,
    );
    await rejects(
      `select audit.enable('audit.events')`,
      /^audit\.enable: audit\.events is part of the audit trail itself$/,
    );
    await rejects(`select audit.disable('docs_view')`, /^audit\.disable: public\.docs_view is not audited$/);
    await rejects(
      `select audit.enable_schema('nope')`,
      /^audit\.enable_schema: schema "nope" does not exist$/,
    );
    await rejects(
      `select audit.set_sensitive('docs', '{nope}')`,
      /^audit\.set_sensitive: public\.docs has no column "nope"$/,
    );
    await rejects(
      `select audit.set_sensitive('docs_view', '{body}')`,
      /is not audited; call audit\.enable first$/,
    );
    expect((await db.query(`select * from audit.who_changed('public.never_existed', '1')`)).rows).toEqual([]);
  });

  it('refuses NULL arguments with a message instead of answering nothing', async () => {
    await rejects(`select audit.enable(null)`, /^audit\.enable: table must not be NULL$/);
    await rejects(`select audit.disable(null)`, /^audit\.disable: table must not be NULL$/);
    await rejects(`select audit.enable_schema(null)`, /^audit\.enable_schema: name must not be NULL$/);
    await rejects(`select audit.set_sensitive('docs', null)`, /must not be NULL/);
    await rejects(
      `select * from audit.who_changed('docs', null)`,
      /^audit\.who_changed: table and pk must not be NULL$/,
    );
    await rejects(
      `select * from audit.who_changed(null::text, '1')`,
      /^audit\.who_changed: table and pk must not be NULL$/,
    );
    await rejects(
      `select * from audit.user_activity(null, null, null)`,
      /^audit\.user_activity: username must not be NULL$/,
    );
    await rejects(`select * from audit.mass_deletes(null)`, /^audit\.mass_deletes: since must not be NULL$/);
    await rejects(
      `select * from audit.mass_deletes(now(), 1)`,
      /^audit\.mass_deletes: min_rows must be at least 2 \(got 1\)$/,
    );
    await rejects(`select * from audit.timeline(null)`, /^audit\.timeline: correlation_id must not be NULL$/);
    await rejects(
      `select audit.set_context('u', 'n', 'c', 'not-an-ip', null, null)`,
      /invalid input syntax for type inet/,
    );
  });

  it('records a huge row whole (TOAST), and finds it again', async () => {
    const body = 'z'.repeat(1_000_000);
    await db.query('insert into docs values (1, $1)', [body]);
    await db.query('update docs set body = $1 where id = 1', [`${body}!`]);
    const rows = await db.query(
      `select operation, length(new_values->>'body') as len from audit.who_changed('docs', '1')`,
    );
    expect(rows.rows).toEqual([
      { operation: 'UPDATE', len: 1_000_001 },
      { operation: 'INSERT', len: 1_000_000 },
    ]);
  });

  it('keeps every writer’s rows with its own context when many write at once, and the chain stays whole', async () => {
    const writers = 8;
    const perWriter = 25;
    const clients = await Promise.all(Array.from({ length: writers }, () => connect(server.url)));
    try {
      await Promise.all(
        clients.map(async (client, w) => {
          for (let i = 0; i < perWriter; i++) {
            const ctx = {
              userId: `u${w}`,
              username: `writer${w}`,
              correlationId: `w${w}-${i}`,
              clientIp: `10.0.0.${w + 1}`,
            };
            await asUser(client, ctx, async (c) => {
              await c.query('insert into docs values ($1, $2)', [1000 + w * 100 + i, `writer${w}`]);
              await c.query(`update docs set body = body || '.' where id = $1`, [1000 + w * 100 + i]);
            });
            if (i % 10 === 0) await client.query('select audit.seal()');
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const mismatched = await db.query(`select count(*)::int as n from audit.row_changes
                                       where table_name = 'docs' and app_username is not null
                                         and coalesce(new_values->>'body', '') not like app_username || '%'
                                         and operation = 'INSERT'`);
    expect(mismatched.rows).toEqual([{ n: 0 }]);
    const perUser = await db.query(`select app_username, count(*)::int as n from audit.row_changes
                                    where app_username like 'writer%' group by 1 order by 1`);
    expect(perUser.rows).toEqual(
      Array.from({ length: writers }, (_, w) => ({ app_username: `writer${w}`, n: perWriter * 2 })),
    );

    // Two more seals seal everything written so far; nothing is left out or broken.
    await db.query('select audit.seal()');
    await db.query('select audit.seal()');
    const unsealed = await db.query(`select count(*)::int as n from audit.chained_rows
                                     where id > (select max(to_id) from audit.seals) and occurred_at < now()`);
    expect(unsealed.rows).toEqual([{ n: 0 }]);
    expect((await db.query(`select * from audit.verify_chain(null, null)`)).rows).toEqual([]);
  });
});
