import type pg from 'pg';
import { newPostgresClient } from '../../postgres_client.js';
import type { Secret } from '../../secret.js';
import type { EventRow, SecurityEventRow } from './map.js';

/** What one sink writes per transaction. */
export interface RowBatch {
  events: EventRow[];
  securityEvents: SecurityEventRow[];
}

export interface WriteResult {
  /** Rows inserted per table; the others were already there (same idempotency key). */
  inserted: { events: number; security_events: number };
  /** Rows the database refused even alone (a data error), with its message; they are not retried. */
  rejected: { table: 'events' | 'security_events'; message: string }[];
}

// One statement per table and chunk, whatever the number of rows: each column travels as one array
// parameter and unnest() turns them back into rows. `on conflict do nothing` without a target: the
// writer role has no SELECT, which a conflict target needs; the idempotency index (migration 009) is
// the only unique index a new row can hit.
const INSERT_EVENTS = `insert into audit.events (occurred_at, action, resource_type, resource_id, user_id,
    username, ip, arguments, result, success, duration_ms, correlation_id, idempotency_key)
  select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::inet[],
    $8::jsonb[], $9::jsonb[], $10::boolean[], $11::float8[], $12::text[], $13::text[])
  on conflict do nothing`;

const INSERT_SECURITY_EVENTS = `insert into audit.security_events (occurred_at, type, severity, user_id, username,
    ip, details, correlation_id, idempotency_key)
  select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::inet[], $7::jsonb[],
    $8::text[], $9::text[])
  on conflict do nothing`;

const eventColumns = (rows: readonly EventRow[]) => [
  rows.map((r) => r.occurredAt),
  rows.map((r) => r.action),
  rows.map((r) => r.resourceType),
  rows.map((r) => r.resourceId),
  rows.map((r) => r.userId),
  rows.map((r) => r.username),
  rows.map((r) => r.ip),
  rows.map((r) => r.arguments),
  rows.map((r) => r.result),
  rows.map((r) => r.success),
  rows.map((r) => r.durationMs),
  rows.map((r) => r.correlationId),
  rows.map((r) => r.key),
];

const securityColumns = (rows: readonly SecurityEventRow[]) => [
  rows.map((r) => r.occurredAt),
  rows.map((r) => r.type),
  rows.map((r) => r.severity),
  rows.map((r) => r.userId),
  rows.map((r) => r.username),
  rows.map((r) => r.ip),
  rows.map((r) => r.details),
  rows.map((r) => r.correlationId),
  rows.map((r) => r.key),
];

/**
 * A data error (class 22, e.g. an invalid value) or a constraint violation
 * (class 23): the rows are at fault, and sending them again will not help.
 * Anything else (connection lost, server shutting down, permission denied,
 * table missing) is retried.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** One connection to PostgreSQL, opened on first use and again after any failure. */
export class PostgresWriter {
  readonly #url: Secret;
  readonly #timeoutMs: number;
  #client: pg.Client | undefined;

  constructor(url: Secret, timeoutMs: number) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Writes the batch in one transaction, at most `chunkRows` rows per INSERT;
   * resolves after COMMIT. When the database refuses the batch for its data,
   * each row is then written alone and the ones it still refuses are
   * reported, so one bad row never blocks the others. Any other failure
   * rejects (the caller retries the whole batch; rows already in are skipped
   * by their idempotency key).
   */
  async write(batch: RowBatch, chunkRows: number): Promise<WriteResult> {
    const client = await this.#connect();
    try {
      await client.query('begin');
      const inserted = {
        events: await insertChunks(client, INSERT_EVENTS, batch.events, eventColumns, chunkRows),
        security_events: await insertChunks(
          client,
          INSERT_SECURITY_EVENTS,
          batch.securityEvents,
          securityColumns,
          chunkRows,
        ),
      };
      await client.query('commit');
      return { inserted, rejected: [] };
    } catch (error) {
      if (!isDataError(error)) {
        this.close();
        throw error;
      }
      try {
        await client.query('rollback');
      } catch (rollbackError) {
        this.close();
        throw rollbackError;
      }
      return this.#writeEach(client, batch);
    }
  }

  async #writeEach(client: pg.Client, batch: RowBatch): Promise<WriteResult> {
    const result: WriteResult = { inserted: { events: 0, security_events: 0 }, rejected: [] };
    const one = async <R>(
      table: 'events' | 'security_events',
      sql: string,
      row: R,
      columns: (rows: readonly R[]) => unknown[][],
    ) => {
      try {
        result.inserted[table] += (await client.query(sql, columns([row]))).rowCount ?? 0;
      } catch (error) {
        if (!isDataError(error)) {
          this.close();
          throw error;
        }
        result.rejected.push({ table, message: (error as Error).message });
      }
    };
    for (const row of batch.events) await one('events', INSERT_EVENTS, row, eventColumns);
    for (const row of batch.securityEvents)
      await one('security_events', INSERT_SECURITY_EVENTS, row, securityColumns);
    return result;
  }

  async #connect(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const client = await newPostgresClient({
      connectionString: this.#url.reveal(),
      application_name: 'whodunit-collector',
      connectionTimeoutMillis: this.#timeoutMs,
      query_timeout: this.#timeoutMs,
      keepAlive: true,
    });
    // A connection that breaks while idle reports here; the next write notices and reconnects.
    client.on('error', () => {
      if (this.#client === client) this.#client = undefined;
    });
    try {
      await client.connect();
    } catch (error) {
      void client.end().catch(() => undefined);
      throw error;
    }
    this.#client = client;
    return client;
  }

  /** Drops the connection (a failed write, or the sink stopping); a pending query fails. */
  close(): void {
    const client = this.#client;
    this.#client = undefined;
    void client?.end().catch(() => undefined);
  }
}

async function insertChunks<R>(
  client: pg.Client,
  sql: string,
  rows: readonly R[],
  columns: (rows: readonly R[]) => unknown[][],
  chunkRows: number,
): Promise<number> {
  let inserted = 0;
  for (let at = 0; at < rows.length; at += chunkRows) {
    inserted += (await client.query(sql, columns(rows.slice(at, at + chunkRows)))).rowCount ?? 0;
  }
  return inserted;
}
