-- 004: audit.enable / disable / enable_schema / set_sensitive / tracked_tables, and the view
-- audit.row_changes over the normalised storage.

create function audit.install_triggers(target regclass) returns void
language plpgsql security definer set search_path = '' set client_min_messages = warning as $$
declare
  v_track audit.tracking;
  v_columns text[];
  v_nonkey text[];
  v_args text;
begin
  select * into v_track from audit.tracking where relid = target;
  select coalesce(pg_catalog.array_agg(a.attname::text order by a.attnum), '{}') into v_columns
  from pg_catalog.pg_attribute a where a.attrelid = target and a.attnum > 0 and not a.attisdropped;
  v_nonkey := case when v_track.has_primary_key
    then array(select c from pg_catalog.unnest(v_columns) as c where c <> all (v_track.key_columns)) else '{}' end;
  v_args := pg_catalog.format('%L, %L', v_nonkey::text, v_track.sensitive_columns::text);
  execute pg_catalog.format('drop trigger if exists whodunit_audit_insert on %s', target);
  execute pg_catalog.format('drop trigger if exists whodunit_audit_update on %s', target);
  execute pg_catalog.format('drop trigger if exists whodunit_audit_delete on %s', target);
  execute pg_catalog.format('drop trigger if exists whodunit_audit_truncate on %s', target);
  execute pg_catalog.format('create trigger whodunit_audit_insert after insert on %s referencing new table as new_rows for each statement execute function audit.capture_rows(%s)', target, v_args);
  execute pg_catalog.format('create trigger whodunit_audit_update after update on %s referencing old table as old_rows new table as new_rows for each statement execute function audit.capture_rows(%s)', target, v_args);
  execute pg_catalog.format('create trigger whodunit_audit_delete after delete on %s referencing old table as old_rows for each statement execute function audit.capture_rows(%s)', target, v_args);
  execute pg_catalog.format('create trigger whodunit_audit_truncate before truncate on %s for each statement execute function audit.capture_truncate()', target);
end $$;
comment on function audit.install_triggers(regclass) is 'Internal: (re)creates the capture triggers of an enabled table from audit.tracking and its current columns; also run after ALTER TABLE.';

create function audit.enable(target regclass) returns void
language plpgsql security definer set search_path = '' as $$
declare
  v_class record;
  v_key text[];
  v_part regclass;
begin
  if target is null then
    raise exception 'audit.enable: table must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  select c.relkind, c.relpersistence, n.nspname into v_class
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = target;
  if v_class.nspname = 'audit' then
    raise exception 'audit.enable: % is part of the audit trail itself', target using errcode = 'invalid_parameter_value';
  end if;
  if v_class.relkind not in ('r', 'p') then
    raise exception 'audit.enable: % is not a table (relkind %)', target, v_class.relkind using errcode = 'wrong_object_type';
  end if;
  if v_class.relpersistence = 't' then
    raise exception 'audit.enable: % is a temporary table', target using errcode = 'invalid_parameter_value';
  end if;
  select pg_catalog.array_agg(a.attname::text order by k.ord) into v_key
  from pg_catalog.pg_index i
  cross join lateral pg_catalog.unnest(i.indkey) with ordinality as k(attnum, ord)
  join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
  where i.indrelid = target and i.indisprimary;
  insert into audit.tracking (relid, key_columns, has_primary_key)
  values (target, coalesce(v_key, '{}'), v_key is not null)
  on conflict (relid) do update set key_columns = excluded.key_columns, has_primary_key = excluded.has_primary_key;
  perform audit.install_triggers(target);
  -- Statements addressed to a partition directly fire only the partition's statement triggers.
  for v_part in select relid from pg_catalog.pg_partition_tree(target) where relid <> target loop
    perform audit.enable(v_part);
  end loop;
end $$;
comment on function audit.enable(regclass) is 'Starts auditing a table (and its partitions): every INSERT, UPDATE, DELETE and TRUNCATE is recorded with the transaction''s context. Tables without a primary key are supported (the whole row identifies a row). Idempotent.';

create function audit.disable(target regclass) returns void
language plpgsql security definer set search_path = '' as $$
declare
  v_part regclass;
begin
  if target is null then
    raise exception 'audit.disable: table must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  if not exists (select from audit.tracking where relid = target) then
    raise exception 'audit.disable: % is not audited', target using errcode = 'invalid_parameter_value';
  end if;
  for v_part in select target union select relid from pg_catalog.pg_partition_tree(target) loop
    execute pg_catalog.format('drop trigger if exists whodunit_audit_insert on %s', v_part);
    execute pg_catalog.format('drop trigger if exists whodunit_audit_update on %s', v_part);
    execute pg_catalog.format('drop trigger if exists whodunit_audit_delete on %s', v_part);
    execute pg_catalog.format('drop trigger if exists whodunit_audit_truncate on %s', v_part);
    delete from audit.tracking where relid = v_part;
  end loop;
  -- Switching auditing off is what someone covering their tracks does first: record and alert.
  insert into audit.security_events (type, severity, username, details, correlation_id)
  values ('audit_disabled', 'warning', coalesce(audit.context_value('username'), session_user),
          pg_catalog.jsonb_build_object('table', target::text, 'db_user', session_user), audit.context_value('correlation_id'));
  perform pg_catalog.pg_notify('whodunit_alert', pg_catalog.json_build_object(
    'kind', 'audit_disabled', 'table', target::text, 'app_username', audit.context_value('username'),
    'correlation_id', audit.context_value('correlation_id'), 'client_ip', audit.context_value('client_ip'),
    'db_user', session_user, 'tx_id', pg_catalog.pg_current_xact_id()::text::bigint, 'time', pg_catalog.now())::text);
end $$;
comment on function audit.disable(regclass) is 'Stops auditing a table (and its partitions); the history stays. Records a security event audit_disabled and sends a whodunit_alert notification.';

create function audit.enable_schema(name text) returns setof regclass
language plpgsql security definer set search_path = '' as $$
declare
  v_table regclass;
begin
  if name is null then
    raise exception 'audit.enable_schema: name must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  if not exists (select from pg_catalog.pg_namespace where nspname = name) then
    raise exception 'audit.enable_schema: schema "%" does not exist', name using errcode = 'invalid_schema_name';
  end if;
  if name = 'audit' then
    raise exception 'audit.enable_schema: schema audit is the audit trail itself' using errcode = 'invalid_parameter_value';
  end if;
  for v_table in
    select c.oid::regclass from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = name and c.relkind in ('r', 'p') and not c.relispartition order by c.relname
  loop
    perform audit.enable(v_table);
    return next v_table;
  end loop;
end $$;
comment on function audit.enable_schema(text) is 'Enables auditing of every table of a schema (partitions through their parent); returns the tables enabled.';

create function audit.set_sensitive(target regclass, columns text[]) returns void
language plpgsql security definer set search_path = '' as $$
declare
  v_missing text;
  v_part regclass;
begin
  if target is null or columns is null then
    raise exception 'audit.set_sensitive: table and columns must not be NULL (use ''{}'' to clear)' using errcode = 'null_value_not_allowed';
  end if;
  if not exists (select from audit.tracking where relid = target) then
    raise exception 'audit.set_sensitive: % is not audited; call audit.enable first', target using errcode = 'invalid_parameter_value';
  end if;
  select c into v_missing from pg_catalog.unnest(columns) as c
  where not exists (select from pg_catalog.pg_attribute a where a.attrelid = target and a.attname = c and a.attnum > 0 and not a.attisdropped)
  limit 1;
  if v_missing is not null then
    raise exception 'audit.set_sensitive: % has no column "%"', target, v_missing using errcode = 'undefined_column';
  end if;
  for v_part in select target union select relid from pg_catalog.pg_partition_tree(target) loop
    update audit.tracking set sensitive_columns = columns where relid = v_part;
    perform audit.install_triggers(v_part);
  end loop;
end $$;
comment on function audit.set_sensitive(regclass, text[]) is 'Marks columns of an audited table as sensitive: from now on their values are stored as a salted sha256 ("sha256:<hex>"), never in clear. ''{}'' clears the list.';

create function audit.tracked_tables()
returns table (table_schema text, table_name text, identified_by text, key_columns text[], sensitive_columns text[], enabled_at timestamptz, enabled_by text)
language sql stable security definer set search_path = '' as $$
  select n.nspname::text, c.relname::text,
         case when t.has_primary_key then 'primary key' else 'whole row (no primary key)' end,
         t.key_columns, t.sensitive_columns, t.enabled_at, t.enabled_by
  from audit.tracking t
  join pg_catalog.pg_class c on c.oid = t.relid
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  order by 1, 2
$$;
comment on function audit.tracked_tables() is 'The audited tables: how a row is identified (primary key, or the whole row when there is none), key and sensitive columns, when and by whom auditing was enabled.';

---------------------------------------------------------------------------------------------------
create view audit.row_changes as
select c.id, c.occurred_at, s.tx_id, c.table_schema, c.table_name, c.operation, c.record_pk, c.old_values,
       c.new_values, c.changed_columns, s.app_user_id, s.app_username, s.correlation_id, s.client_ip,
       s.user_agent, s.request, s.db_user, s.client_addr, s.application_name, s.statement, c.statement_id
from audit.changed_rows c
join audit.statements s on s.id = c.statement_id and s.occurred_at = c.occurred_at;
comment on view audit.row_changes is 'One row per changed row of an audited table, with who changed it (application context and database session) and the statement.';
comment on column audit.row_changes.id is 'Id of the change (hash chain order).';
comment on column audit.row_changes.occurred_at is 'Start time of the transaction.';
comment on column audit.row_changes.tx_id is 'Top-level transaction id.';
comment on column audit.row_changes.table_schema is 'Schema of the changed table.';
comment on column audit.row_changes.table_name is 'Name of the changed table.';
comment on column audit.row_changes.operation is 'INSERT, UPDATE, DELETE or TRUNCATE.';
comment on column audit.row_changes.record_pk is 'Key of the row as JSON (the whole old row for a table without a primary key; NULL for TRUNCATE).';
comment on column audit.row_changes.old_values is 'Values before (DELETE: whole row; UPDATE: changed columns); sensitive columns hashed.';
comment on column audit.row_changes.new_values is 'Values after (INSERT: whole row; UPDATE: changed columns); sensitive columns hashed.';
comment on column audit.row_changes.changed_columns is 'Columns changed by an UPDATE.';
comment on column audit.row_changes.app_user_id is 'Application user id from audit.set_context.';
comment on column audit.row_changes.app_username is 'Application user name from audit.set_context.';
comment on column audit.row_changes.correlation_id is 'Request correlation id from audit.set_context.';
comment on column audit.row_changes.client_ip is 'End user''s IP address from audit.set_context.';
comment on column audit.row_changes.user_agent is 'End user''s user agent from audit.set_context.';
comment on column audit.row_changes.request is 'Request line from audit.set_context.';
comment on column audit.row_changes.db_user is 'Database login role.';
comment on column audit.row_changes.client_addr is 'Address of the database client.';
comment on column audit.row_changes.application_name is 'The client''s application_name.';
comment on column audit.row_changes.statement is 'Top-level query text, truncated to 4000 characters.';
comment on column audit.row_changes.statement_id is 'The audit.statements row of the statement.';
