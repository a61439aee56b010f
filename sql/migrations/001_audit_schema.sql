-- 001: schema audit, its roles, settings, and the append-only storage tables.
-- Every table is partitioned by month on occurred_at (partitions come from audit.maintain(), 002).
-- Every stored row carries content_hash, the sha256 of its own content, computed when it is
-- written; audit.seal() (006) chains those hashes in id order.

create schema if not exists audit;
comment on schema audit is 'whodunit audit trail: row changes with the application''s user, DDL, application and security events, forensic functions, tamper evidence.';

-- Nothing in this schema is for PUBLIC: functions created from here on get no default EXECUTE.
revoke all on schema audit from public;
alter default privileges in schema audit revoke execute on functions from public;
alter default privileges revoke execute on functions from public;

do $$
begin
  if not exists (select from pg_roles where rolname = 'whodunit_reader') then
    create role whodunit_reader nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'whodunit_writer') then
    create role whodunit_writer nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'whodunit_admin') then
    create role whodunit_admin nologin;
  end if;
end $$;
comment on role whodunit_reader is 'whodunit: may call the forensic functions and read the audit views.';
comment on role whodunit_writer is 'whodunit: what the collector and applications need: set_context, insert events and security events, seal, maintain.';
comment on role whodunit_admin is 'whodunit: enable and disable auditing, mark sensitive columns, apply retention; also a reader.';

create table if not exists audit.schema_migrations (
  filename text primary key,
  checksum text not null check (checksum ~ '^[0-9a-f]{64}$'),
  applied_at timestamptz not null default now()
);
comment on table audit.schema_migrations is 'Migrations applied to this database, by the migrator (npm run db:migrate) or by the docker initdb script.';
comment on column audit.schema_migrations.filename is 'File name in sql/migrations, e.g. 001_audit_schema.sql.';
comment on column audit.schema_migrations.checksum is 'sha256 (hex) of the file''s bytes when it was applied; a different file under the same name stops the migrator.';
comment on column audit.schema_migrations.applied_at is 'When the migration was applied.';

create table audit.settings (
  singleton boolean primary key default true check (singleton),
  mass_change_rows integer not null default 100 check (mass_change_rows >= 2),
  retention interval not null default interval '12 months' check (retention >= interval '1 month'),
  partitions_ahead integer not null default 2 check (partitions_ahead between 1 and 24),
  hash_salt text not null default encode(sha256(convert_to(gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')), 'hex')
);
insert into audit.settings default values;
comment on table audit.settings is 'One row of operator settings; change with UPDATE as whodunit_admin.';
comment on column audit.settings.singleton is 'Always true: the table holds exactly one row.';
comment on column audit.settings.mass_change_rows is 'A DELETE or UPDATE of at least this many rows in one statement sends a whodunit_alert notification (minimum 2).';
comment on column audit.settings.retention is 'audit.apply_retention() drops monthly partitions whose whole month is older than this.';
comment on column audit.settings.partitions_ahead is 'How many future months audit.maintain() keeps partitions for.';
comment on column audit.settings.hash_salt is 'Secret salt for hashing sensitive column values; readable by the schema owner only.';

-- One sequence orders every stored row of every audit table: the hash chain follows it.
create sequence audit.record_id_seq as bigint cache 1;
comment on sequence audit.record_id_seq is 'Ids of every audit row, in all tables; the hash chain follows this order. cache 1 keeps ids in allocation order across sessions.';

-- The row's id is taken after the transaction has an xid, so audit.seal() can tell, from a
-- snapshot, that every transaction that may still insert an id below its watermark has ended.
create function audit.next_record_id() returns bigint
language sql volatile security definer set search_path = '' as $$
  select pg_catalog.nextval('audit.record_id_seq') from (select pg_catalog.pg_current_xact_id()) as assign_xid
$$;
comment on function audit.next_record_id() is 'Internal: next id from audit.record_id_seq, after making sure the transaction has an xid (needed by audit.seal()).';

-- Hashing: one canonical text per row (epoch seconds, jsonb text, unit separator between fields)
-- so that the hash does not depend on DateStyle or TimeZone.
-- Declared STABLE, not IMMUTABLE: their bodies call stable functions (array_to_string, casts to
-- text), and only a function no stricter than its body is inlined, which the row path needs.
create function audit.digest(parts text[]) returns bytea
language sql stable parallel safe as $$
  select pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.array_to_string(parts, pg_catalog.chr(31), pg_catalog.chr(30)), 'UTF8'))
$$;
comment on function audit.digest(text[]) is 'Internal: sha256 of the fields joined by the unit separator (NULL fields as the record separator); the canonical content hash.';

create function audit.epoch(t timestamptz) returns text
language sql stable parallel safe as $$ select extract(epoch from t)::text $$;
comment on function audit.epoch(timestamptz) is 'Internal: a timestamp as epoch seconds text, independent of DateStyle and TimeZone.';

---------------------------------------------------------------------------------------------------
-- audit.statements: one row per audited statement (or per TRUNCATE), with the context it ran in.
create table audit.statements (
  id bigint not null,
  occurred_at timestamptz not null,
  tx_id bigint not null,
  table_schema text not null,
  table_name text not null,
  operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
  rows bigint not null check (rows >= 0),
  app_user_id text,
  app_username text,
  correlation_id text,
  client_ip inet,
  user_agent text,
  request text,
  db_user text not null,
  client_addr inet,
  application_name text,
  backend_pid integer not null,
  statement text,
  content_hash bytea not null,
  primary key (id, occurred_at)
) partition by range (occurred_at);
create index statements_user_idx on audit.statements (app_username, occurred_at);
create index statements_db_user_idx on audit.statements (db_user, occurred_at) where app_username is null;
create index statements_correlation_idx on audit.statements (correlation_id) where correlation_id is not null;
-- Mass deletes only: one-row deletes (the common case) stay out, so the index holds few entries.
create index statements_mass_idx on audit.statements (occurred_at) include (rows)
  where operation in ('DELETE', 'TRUNCATE') and rows >= 2;

comment on table audit.statements is 'One row per audited statement on an enabled table: what ran, how many rows it changed, and who ran it (the transaction''s context). The statement text is stored here once, not per row.';
comment on column audit.statements.id is 'Row id from audit.record_id_seq (the hash chain order).';
comment on column audit.statements.occurred_at is 'Start time of the transaction (now()).';
comment on column audit.statements.tx_id is 'Top-level transaction id (pg_current_xact_id).';
comment on column audit.statements.table_schema is 'Schema of the changed table.';
comment on column audit.statements.table_name is 'Name of the changed table.';
comment on column audit.statements.operation is 'INSERT, UPDATE, DELETE or TRUNCATE.';
comment on column audit.statements.rows is 'Rows changed by the statement (for UPDATE: rows whose values changed; for TRUNCATE: rows counted before it, capped at 1,000,000).';
comment on column audit.statements.app_user_id is 'Application user id from audit.set_context, NULL without context.';
comment on column audit.statements.app_username is 'Application user name from audit.set_context, NULL without context.';
comment on column audit.statements.correlation_id is 'Request correlation id from audit.set_context.';
comment on column audit.statements.client_ip is 'End user''s IP address from audit.set_context.';
comment on column audit.statements.user_agent is 'End user''s user agent from audit.set_context.';
comment on column audit.statements.request is 'Request line (e.g. "DELETE /api/users") from audit.set_context.';
comment on column audit.statements.db_user is 'Database login role (session_user).';
comment on column audit.statements.client_addr is 'Address of the database client (inet_client_addr()), NULL over a Unix socket.';
comment on column audit.statements.application_name is 'The client''s application_name setting.';
comment on column audit.statements.backend_pid is 'PostgreSQL backend process id.';
comment on column audit.statements.statement is 'Top-level query text, truncated to 4000 characters.';
comment on column audit.statements.content_hash is 'sha256 of this row''s content (audit.statement_hash), checked by audit.verify_chain.';

create function audit.statement_hash(s audit.statements) returns bytea
language sql stable parallel safe as $$
  select audit.digest(array[
    s.id::text, audit.epoch(s.occurred_at), s.tx_id::text, s.table_schema, s.table_name, s.operation,
    s.rows::text, s.app_user_id, s.app_username, s.correlation_id, s.client_ip::text, s.user_agent,
    s.request, s.db_user, s.client_addr::text, s.application_name, s.backend_pid::text, s.statement])
$$;
comment on function audit.statement_hash(audit.statements) is 'Internal: content hash of an audit.statements row (every column but content_hash).';

---------------------------------------------------------------------------------------------------
-- audit.changed_rows: one row per changed row; joined to audit.statements by the view audit.row_changes.
create table audit.changed_rows (
  id bigint not null,
  occurred_at timestamptz not null,
  statement_id bigint not null,
  table_schema text not null,
  table_name text not null,
  operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
  record_pk jsonb,
  old_values jsonb,
  new_values jsonb,
  changed_columns text[],
  content_hash bytea not null
) partition by range (occurred_at);
-- Two indexes only, because every changed row pays for them: the row history (who_changed) and a
-- BRIN on (id, statement_id) for seal()/verify_chain() ranges and "the rows of this statement" (both grow
-- with the heap, so BRIN fits and costs little).
create index changed_rows_record_idx on audit.changed_rows (table_name, record_pk, table_schema);
create index changed_rows_id_brin on audit.changed_rows using brin (id, statement_id);

comment on table audit.changed_rows is 'Storage of audit.row_changes: one row per changed row (UPDATE: only the changed columns plus the key), without the context, which audit.statements holds once per statement.';
comment on column audit.changed_rows.id is 'Row id from audit.record_id_seq (the hash chain order).';
comment on column audit.changed_rows.occurred_at is 'Start time of the transaction, as in audit.statements.';
comment on column audit.changed_rows.statement_id is 'The audit.statements row of the statement that changed this row.';
comment on column audit.changed_rows.table_schema is 'Schema of the changed table.';
comment on column audit.changed_rows.table_name is 'Name of the changed table.';
comment on column audit.changed_rows.operation is 'INSERT, UPDATE, DELETE or TRUNCATE (one row per TRUNCATE, without values).';
comment on column audit.changed_rows.record_pk is 'The row''s key as a JSON object: primary key columns, or the whole old row for a table without a primary key; NULL for TRUNCATE.';
comment on column audit.changed_rows.old_values is 'Values before: the whole row for DELETE, the changed columns for UPDATE; sensitive columns hashed.';
comment on column audit.changed_rows.new_values is 'Values after: the whole row for INSERT, the changed columns for UPDATE; sensitive columns hashed.';
comment on column audit.changed_rows.changed_columns is 'Columns whose value changed (UPDATE only).';
comment on column audit.changed_rows.content_hash is 'sha256 of this row''s content (audit.changed_row_hash), checked by audit.verify_chain.';

create function audit.changed_row_hash(
  id bigint, occurred_at timestamptz, statement_id bigint, table_schema text, table_name text, operation text,
  record_pk jsonb, old_values jsonb, new_values jsonb, changed_columns text[]
) returns bytea
language sql stable parallel safe as $$
  select audit.digest(array[
    id::text, audit.epoch(occurred_at), statement_id::text, table_schema, table_name, operation,
    record_pk::text, old_values::text, new_values::text, changed_columns::text])
$$;
comment on function audit.changed_row_hash(bigint, timestamptz, bigint, text, text, text, jsonb, jsonb, jsonb, text[]) is 'Internal: content hash of an audit.changed_rows row, computed by the capture triggers and by audit.verify_chain.';

---------------------------------------------------------------------------------------------------
create table audit.ddl_changes (
  id bigint not null default audit.next_record_id(),
  occurred_at timestamptz not null default now(),
  tx_id bigint not null default pg_current_xact_id()::text::bigint,
  command_tag text not null,
  object_type text not null,
  schema_name text,
  object_identity text not null,
  app_user_id text,
  app_username text,
  correlation_id text,
  client_ip inet,
  user_agent text,
  request text,
  db_user text not null default session_user,
  client_addr inet default inet_client_addr(),
  application_name text default current_setting('application_name'),
  backend_pid integer not null default pg_backend_pid(),
  statement text default left(current_query(), 4000),
  content_hash bytea not null,
  primary key (id, occurred_at)
) partition by range (occurred_at);
create index ddl_changes_time_idx on audit.ddl_changes (occurred_at);
create index ddl_changes_user_idx on audit.ddl_changes (app_username, occurred_at);
create index ddl_changes_correlation_idx on audit.ddl_changes (correlation_id) where correlation_id is not null;

comment on table audit.ddl_changes is 'CREATE, ALTER and DROP of tables (outside schema audit), recorded by event triggers with the transaction''s context.';
comment on column audit.ddl_changes.id is 'Row id from audit.record_id_seq (the hash chain order).';
comment on column audit.ddl_changes.occurred_at is 'Start time of the transaction.';
comment on column audit.ddl_changes.tx_id is 'Top-level transaction id.';
comment on column audit.ddl_changes.command_tag is 'Command, e.g. CREATE TABLE, ALTER TABLE, DROP TABLE, DROP SCHEMA.';
comment on column audit.ddl_changes.object_type is 'Kind of object, e.g. table.';
comment on column audit.ddl_changes.schema_name is 'Schema of the object.';
comment on column audit.ddl_changes.object_identity is 'Qualified name of the object, e.g. public.users.';
comment on column audit.ddl_changes.app_user_id is 'Application user id from audit.set_context.';
comment on column audit.ddl_changes.app_username is 'Application user name from audit.set_context.';
comment on column audit.ddl_changes.correlation_id is 'Request correlation id from audit.set_context.';
comment on column audit.ddl_changes.client_ip is 'End user''s IP address from audit.set_context.';
comment on column audit.ddl_changes.user_agent is 'End user''s user agent from audit.set_context.';
comment on column audit.ddl_changes.request is 'Request line from audit.set_context.';
comment on column audit.ddl_changes.db_user is 'Database login role (session_user).';
comment on column audit.ddl_changes.client_addr is 'Address of the database client.';
comment on column audit.ddl_changes.application_name is 'The client''s application_name setting.';
comment on column audit.ddl_changes.backend_pid is 'PostgreSQL backend process id.';
comment on column audit.ddl_changes.statement is 'Top-level query text, truncated to 4000 characters.';
comment on column audit.ddl_changes.content_hash is 'sha256 of this row''s content, set on insert, checked by audit.verify_chain.';

create function audit.ddl_change_hash(d audit.ddl_changes) returns bytea
language sql stable parallel safe as $$
  select audit.digest(array[
    d.id::text, audit.epoch(d.occurred_at), d.tx_id::text, d.command_tag, d.object_type, d.schema_name,
    d.object_identity, d.app_user_id, d.app_username, d.correlation_id, d.client_ip::text, d.user_agent,
    d.request, d.db_user, d.client_addr::text, d.application_name, d.backend_pid::text, d.statement])
$$;
comment on function audit.ddl_change_hash(audit.ddl_changes) is 'Internal: content hash of an audit.ddl_changes row.';

---------------------------------------------------------------------------------------------------
create table audit.events (
  id bigint not null default audit.next_record_id(),
  occurred_at timestamptz not null default now(),
  action text not null,
  resource_type text,
  resource_id text,
  user_id text,
  username text,
  ip inet,
  arguments jsonb,
  result jsonb,
  success boolean not null default true,
  duration_ms double precision check (duration_ms >= 0),
  correlation_id text,
  content_hash bytea not null,
  primary key (id, occurred_at)
) partition by range (occurred_at);
create index events_user_idx on audit.events (username, occurred_at);
create index events_correlation_idx on audit.events (correlation_id) where correlation_id is not null;
create index events_time_idx on audit.events (occurred_at);

comment on table audit.events is 'Application audit events (one per CRUD action of the app), written by the collector or the app as whodunit_writer.';
comment on column audit.events.id is 'Row id from audit.record_id_seq (the hash chain order).';
comment on column audit.events.occurred_at is 'When the action happened.';
comment on column audit.events.action is 'What was done, e.g. user.delete.';
comment on column audit.events.resource_type is 'Kind of resource acted on, e.g. user.';
comment on column audit.events.resource_id is 'Id of the resource acted on.';
comment on column audit.events.user_id is 'Application user id of the actor.';
comment on column audit.events.username is 'Application user name of the actor.';
comment on column audit.events.ip is 'IP address of the actor.';
comment on column audit.events.arguments is 'Arguments of the action (already redacted by the app).';
comment on column audit.events.result is 'Result of the action.';
comment on column audit.events.success is 'Whether the action succeeded.';
comment on column audit.events.duration_ms is 'How long the action took, in milliseconds.';
comment on column audit.events.correlation_id is 'Request correlation id.';
comment on column audit.events.content_hash is 'sha256 of this row''s content, set on insert, checked by audit.verify_chain.';

create function audit.event_hash(e audit.events) returns bytea
language sql stable parallel safe as $$
  select audit.digest(array[
    e.id::text, audit.epoch(e.occurred_at), e.action, e.resource_type, e.resource_id, e.user_id, e.username,
    e.ip::text, e.arguments::text, e.result::text, e.success::text, e.duration_ms::text, e.correlation_id])
$$;
comment on function audit.event_hash(audit.events) is 'Internal: content hash of an audit.events row.';

---------------------------------------------------------------------------------------------------
create table audit.security_events (
  id bigint not null default audit.next_record_id(),
  occurred_at timestamptz not null default now(),
  type text not null,
  severity text not null default 'info' check (severity in ('debug', 'info', 'warning', 'critical')),
  user_id text,
  username text,
  ip inet,
  details jsonb,
  correlation_id text,
  content_hash bytea not null,
  primary key (id, occurred_at)
) partition by range (occurred_at);
create index security_events_user_idx on audit.security_events (username, occurred_at);
create index security_events_correlation_idx on audit.security_events (correlation_id) where correlation_id is not null;
create index security_events_time_idx on audit.security_events (occurred_at, type);

comment on table audit.security_events is 'Security events: failed logins, brute force, privilege changes, auditing switched off, retention runs.';
comment on column audit.security_events.id is 'Row id from audit.record_id_seq (the hash chain order).';
comment on column audit.security_events.occurred_at is 'When it happened.';
comment on column audit.security_events.type is 'Kind of event, e.g. login_failed, audit_disabled, retention.';
comment on column audit.security_events.severity is 'debug, info, warning or critical.';
comment on column audit.security_events.user_id is 'Application user id concerned.';
comment on column audit.security_events.username is 'User name concerned.';
comment on column audit.security_events.ip is 'IP address concerned.';
comment on column audit.security_events.details is 'Free details as JSON.';
comment on column audit.security_events.correlation_id is 'Request correlation id.';
comment on column audit.security_events.content_hash is 'sha256 of this row''s content, set on insert, checked by audit.verify_chain.';

create function audit.security_event_hash(e audit.security_events) returns bytea
language sql stable parallel safe as $$
  select audit.digest(array[
    e.id::text, audit.epoch(e.occurred_at), e.type, e.severity, e.user_id, e.username, e.ip::text,
    e.details::text, e.correlation_id])
$$;
comment on function audit.security_event_hash(audit.security_events) is 'Internal: content hash of an audit.security_events row.';

---------------------------------------------------------------------------------------------------
create table audit.access_log (
  id bigint not null default audit.next_record_id(),
  occurred_at timestamptz not null default now(),
  db_user text not null default session_user,
  app_username text,
  client_addr inet default inet_client_addr(),
  function_name text not null,
  arguments jsonb not null,
  content_hash bytea not null,
  primary key (id, occurred_at)
) partition by range (occurred_at);
create index access_log_time_idx on audit.access_log (occurred_at);

comment on table audit.access_log is 'Who called which forensic function, when, with which arguments (the audit of the audit).';
comment on column audit.access_log.id is 'Row id from audit.record_id_seq (the hash chain order).';
comment on column audit.access_log.occurred_at is 'When the function was called.';
comment on column audit.access_log.db_user is 'Database login role of the caller.';
comment on column audit.access_log.app_username is 'Application user name from audit.set_context, when the caller set one (e.g. the Grafana user).';
comment on column audit.access_log.client_addr is 'Address of the database client.';
comment on column audit.access_log.function_name is 'Forensic function called, e.g. audit.who_changed.';
comment on column audit.access_log.arguments is 'Its arguments as a JSON object.';
comment on column audit.access_log.content_hash is 'sha256 of this row''s content, set on insert, checked by audit.verify_chain.';

create function audit.access_log_hash(a audit.access_log) returns bytea
language sql stable parallel safe as $$
  select audit.digest(array[
    a.id::text, audit.epoch(a.occurred_at), a.db_user, a.app_username, a.client_addr::text, a.function_name,
    a.arguments::text])
$$;
comment on function audit.access_log_hash(audit.access_log) is 'Internal: content hash of an audit.access_log row.';

---------------------------------------------------------------------------------------------------
-- Content hashes of the low-volume tables are set by a trigger, so no writer can supply its own.
create function audit.set_content_hash() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  -- NEW has the partition's row type; assigning it to the parent's type moves it field by field.
  e audit.events;
  s audit.security_events;
  a audit.access_log;
  d audit.ddl_changes;
begin
  case tg_argv[0]
    when 'events' then e := new; new.content_hash := audit.event_hash(e);
    when 'security_events' then s := new; new.content_hash := audit.security_event_hash(s);
    when 'access_log' then a := new; new.content_hash := audit.access_log_hash(a);
    when 'ddl_changes' then d := new; new.content_hash := audit.ddl_change_hash(d);
  end case;
  return new;
end $$;
comment on function audit.set_content_hash() is 'Internal trigger: sets content_hash on insert into events, security_events, access_log and ddl_changes.';

-- Append-only, for everyone including the owner; only audit.apply_retention() removes data, by
-- dropping whole partitions. A superuser can still bypass triggers: audit.verify_chain() is the answer.
create function audit.refuse_change() returns trigger
language plpgsql set search_path = '' as $$
begin
  raise exception 'audit.%: % is refused, the audit trail is append-only (only audit.apply_retention() removes data)',
    pg_catalog.regexp_replace(tg_table_name, '_(p[0-9]{6}|default)$', ''), tg_op
    using errcode = 'insufficient_privilege';
end $$;
comment on function audit.refuse_change() is 'Internal trigger: refuses UPDATE, DELETE and TRUNCATE on audit tables.';

do $$
declare
  t text;
begin
  foreach t in array array['statements', 'changed_rows', 'ddl_changes', 'events', 'security_events', 'access_log'] loop
    execute format('create trigger append_only before update or delete on audit.%I for each row execute function audit.refuse_change()', t);
    execute format('create trigger append_only_truncate before truncate on audit.%I for each statement execute function audit.refuse_change()', t);
  end loop;
  foreach t in array array['events', 'security_events', 'access_log', 'ddl_changes'] loop
    execute format('create trigger content_hash before insert on audit.%I for each row execute function audit.set_content_hash(%L)', t, t);
  end loop;
end $$;
