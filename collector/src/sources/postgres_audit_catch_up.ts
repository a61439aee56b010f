import type pg from 'pg';
import type { Logger } from '../log.js';
import { alertFromDdlDrop, alertFromMassDelete, type AuditAlert } from './postgres_audit_decode.js';

const CATCH_UP_LIMIT = 10_000;

/**
 * The wipes a `postgres_audit` source missed while it was not listening (NOTIFY has
 * no replay), read back through the public SQL API: `audit.mass_deletes(from)` (mass
 * DELETEs and TRUNCATEs at the trail's alert threshold) and the DROP rows of
 * `audit.ddl_changes`. Each goes to `emit`, which de-duplicates; returns how many it
 * took. (`audit.mass_deletes` ingests first, like every forensic function, so
 * this also brings the trail up to date.)
 */
export async function catchUpAlerts(
  conn: pg.Client,
  from: string,
  emit: (alert: AuditAlert) => boolean,
  logger: Logger,
): Promise<number> {
  let count = 0;
  const deletes = await conn.query<Record<string, unknown>>(
    `select d.*, pg_catalog.to_json(d.occurred_at) #>> '{}' as time
       from audit.mass_deletes($1::timestamptz, null) d
      order by d.occurred_at, d.statement_id limit ${CATCH_UP_LIMIT}`,
    [from],
  );
  for (const row of deletes.rows) if (emit(alertFromMassDelete(row))) count++;
  try {
    const drops = await conn.query<Record<string, unknown>>(
      `select c.id, c.command_tag, c.object_identity, c.app_user_id, c.app_username, c.correlation_id,
              c.client_ip, c.db_user, c.application_name, c.tx_id,
              pg_catalog.to_json(c.occurred_at) #>> '{}' as time
         from audit.ddl_changes c
        where c.occurred_at >= $1::timestamptz and c.command_tag like 'DROP%' and c.object_type = 'table'
        order by c.id limit ${CATCH_UP_LIMIT}`,
      [from],
    );
    for (const row of drops.rows) if (emit(alertFromDdlDrop(row))) count++;
  } catch (err) {
    // Not granted audit.ddl_changes: mass deletes are still caught up.
    if ((err as { code?: string }).code !== '42501') throw err;
    logger.warn('cannot read audit.ddl_changes, missed DROP alerts are not caught up', {});
  }
  return count;
}
