/**
 * The wipe of the alerting tests: an application request that sets its audit
 * context (who, which request, from where) and deletes every row of a table in
 * one transaction, as sdk's pg helper would. With `end: 'rollback'` nothing is
 * committed, so the audit trail must stay silent.
 *
 *   await createAuditedTable(pg, 'public.games');
 *   const sentAt = await wipe(pg, { user: 'mallory', correlationId: 'req-1', ip: '203.0.113.7' });
 */
import pg from 'pg';
import type { PostgresServer } from '@whodunit/testkit';

export interface WipeRequest {
  /** The application user (audit context username; the user id is `u-<user>`). */
  user: string;
  correlationId: string;
  ip: string;
  /** Default `public.games`, which `createAuditedTable` makes. */
  table?: string;
  /** Rows the table holds before the delete; default 500. */
  rows?: number;
  end?: 'commit' | 'rollback';
  userAgent?: string;
  request?: string;
}

/** An audited table `(id int primary key, title text)`. */
export async function createAuditedTable(server: PostgresServer, table = 'public.games'): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`create table ${table} (id int primary key, title text)`);
    await client.query('select audit.enable($1::regclass)', [table]);
  } finally {
    await client.end();
  }
}

/** Fills the table, then deletes all of it in one request's transaction; returns Date.now() before that transaction. */
export async function wipe(server: PostgresServer, request: WipeRequest): Promise<number> {
  const table = request.table ?? 'public.games';
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(
      `insert into ${table} select g, 'g' || g from generate_series(1, $1::int) g on conflict do nothing`,
      [request.rows ?? 500],
    );
    const sentAt = Date.now();
    await client.query('begin');
    await client.query('select audit.set_context($1, $2, $3, $4::inet, $5, $6)', [
      `u-${request.user}`,
      request.user,
      request.correlationId,
      request.ip,
      request.userAgent ?? 'Mozilla/5.0',
      request.request ?? 'POST /admin/purge',
    ]);
    await client.query(`delete from ${table}`);
    await client.query(request.end ?? 'commit');
    return sentAt;
  } finally {
    await client.end();
  }
}
