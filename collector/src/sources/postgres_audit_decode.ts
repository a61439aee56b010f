/**
 * The whodunit_alert payloads of the SQL audit trail (sql/README.md "Alerts") and
 * how one becomes an entry. The same alert reaches us two ways: as a NOTIFY
 * payload while we listen, and rebuilt from the public SQL API
 * (`audit.mass_deletes`, `audit.ddl_changes`) when we catch up on what happened
 * while we were not listening. Both give the same JSON shape, so an alert reads
 * the same whichever way it came, and the ids it carries (`statement_id` or
 * `ddl_change_id`) tell the two copies apart from two different alerts.
 */
import { newEntry, type Entry } from '../pipeline/entry.js';

/** A parsed payload: kind, table, operation, rows, app_user_id, ..., statement_id | ddl_change_id, time. */
export type AuditAlert = Record<string, unknown>;

/** A NOTIFY payload; undefined when it is not a JSON object (a foreign NOTIFY on our channel). */
export function parseAlert(payload: string | undefined): AuditAlert | undefined {
  if (payload === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(payload);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as AuditAlert)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `s:<statement id>` or `d:<ddl change id>`; undefined for alerts without one (audit_disabled). */
export function alertKey(alert: AuditAlert): string | undefined {
  if (alert.statement_id !== undefined && alert.statement_id !== null)
    return `s:${String(alert.statement_id)}`;
  if (alert.ddl_change_id !== undefined && alert.ddl_change_id !== null)
    return `d:${String(alert.ddl_change_id)}`;
  return undefined;
}

/**
 * The entry: the payload JSON as the line, `stream="db_audit"` over the
 * configured labels, every non-null field as structured metadata (never labels:
 * users, ids and tables are high-cardinality). The time is the alert's `time`
 * (the transaction's start, as the audit trail records it), else `receivedAt`.
 */
export function alertEntry(
  alert: AuditAlert,
  labels: Readonly<Record<string, string>>,
  receivedAt: bigint,
  line: string = JSON.stringify(alert),
): Entry {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(alert)) {
    if (value === null || value === undefined) continue;
    metadata[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return newEntry(line, { ...labels, stream: 'db_audit' }, alertTime(alert) ?? receivedAt, metadata);
}

/** `time` as PostgreSQL's JSON writes a timestamptz (`2024-05-01T12:00:00.123456+00:00`), in ns. */
function alertTime(alert: AuditAlert): bigint | undefined {
  if (typeof alert.time !== 'string') return undefined;
  const ms = Date.parse(alert.time);
  if (Number.isNaN(ms)) return undefined;
  // Date keeps milliseconds; add the microseconds PostgreSQL wrote.
  const micros = /\.\d{3}(\d{1,3})/.exec(alert.time)?.[1];
  return BigInt(ms) * 1_000_000n + (micros === undefined ? 0n : BigInt(micros.padEnd(3, '0')) * 1000n);
}

/** A bigint column (pg hands those out as strings) as the JSON number NOTIFY has. */
const asNumber = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

/** One row of `audit.mass_deletes(...)` (plus `time`, its occurred_at in JSON form) as the alert NOTIFY sent. */
export function alertFromMassDelete(row: Record<string, unknown>): AuditAlert {
  return {
    kind: row.operation === 'TRUNCATE' ? 'truncate' : 'mass_delete',
    table: `${String(row.table_schema)}.${String(row.table_name)}`,
    operation: row.operation,
    rows: asNumber(row.rows),
    app_user_id: row.app_user_id ?? null,
    app_username: row.app_username ?? null,
    correlation_id: row.correlation_id ?? null,
    client_ip: row.client_ip ?? null,
    db_user: row.db_user ?? null,
    application_name: typeof row.application_name === 'string' ? row.application_name.slice(0, 100) : null,
    tx_id: asNumber(row.tx_id),
    statement_id: asNumber(row.statement_id),
    time: row.time,
  };
}

/** One DROP row of `audit.ddl_changes` (plus `time`) as the `drop` alert NOTIFY sent. */
export function alertFromDdlDrop(row: Record<string, unknown>): AuditAlert {
  return {
    kind: 'drop',
    table: row.object_identity,
    operation: row.command_tag,
    rows: null,
    app_user_id: row.app_user_id ?? null,
    app_username: row.app_username ?? null,
    correlation_id: row.correlation_id ?? null,
    client_ip: row.client_ip ?? null,
    db_user: row.db_user ?? null,
    application_name: typeof row.application_name === 'string' ? row.application_name.slice(0, 100) : null,
    tx_id: asNumber(row.tx_id),
    ddl_change_id: asNumber(row.id),
    time: row.time,
  };
}
