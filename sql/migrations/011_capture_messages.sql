-- 011: capture through the WAL. The capture triggers no longer write audit rows inside the
-- audited transaction; each audited statement writes ONE transactional logical decoding message
-- (pg_logical_emit_message: a WAL record, no heap insert, no index, no hash), and audit.ingest()
-- turns the committed messages into audit rows afterwards, in batches.
--
-- Why: measured with callgrind on PostgreSQL 15 (instructions per pgbench tpcb-like transaction
-- with set_context; 738k unaudited), 010's in-transaction capture cost 3,206k; the message costs
-- 1,410k. Per row of a 100,000-row DELETE (5.4k unaudited): 85k before, about 13k now.
-- What the writer still pays: the transition tables, one query over them (the rows as record text)
-- and the WAL record. Everything else (JSON, the UPDATE diff, key, hashes, indexes, partition
-- routing, alerts) moved to audit.ingest(), which runs outside the audited transactions: the
-- collector calls it continuously, and every forensic function calls it first.
--
-- What it needs: wal_level = logical (audit.start_capture() says so), and a logical replication
-- slot per database (audit.start_capture() creates it; the migrator calls it). The slot keeps WAL
-- until audit.ingest() has read it: if nothing ingests, WAL piles up (see audit.capture_status()
-- and max_slot_wal_keep_size).
--
-- The messages are only decoded once their transaction commits: a rolled-back transaction or
-- savepoint leaves nothing, and alerts (NOTIFY from ingest) are for committed work only, as before.
-- pgoutput (built in) decodes them, with an empty publication, so no row change of any table is
-- ever sent: only our messages.

create publication whodunit_capture;
comment on publication whodunit_capture is 'whodunit: empty on purpose. The capture slot decodes with pgoutput, which needs a publication; with no table in it, only the audit messages (pg_logical_emit_message) come out.';

create table audit.capture_state (
  singleton boolean primary key default true check (singleton),
  slot_name text not null,
  ingested_lsn pg_lsn,
  ingested_at timestamptz,
  started_at timestamptz
);
-- Slots are named per cluster, so the database's oid is in the name.
insert into audit.capture_state (slot_name)
select 'whodunit_capture_' || d.oid from pg_database d where d.datname = current_database();
comment on table audit.capture_state is 'Internal: the capture slot of this database and how far audit.ingest() has read it (read it through audit.capture_status()).';
comment on column audit.capture_state.singleton is 'Always true: the table holds exactly one row.';
comment on column audit.capture_state.slot_name is 'The logical replication slot audit.start_capture() creates (whodunit_capture_<database oid>).';
comment on column audit.capture_state.ingested_lsn is 'End of the last transaction audit.ingest() wrote; the slot is advanced to it at the next ingest.';
comment on column audit.capture_state.ingested_at is 'When audit.ingest() last committed.';
comment on column audit.capture_state.started_at is 'When audit.start_capture() created the slot.';
create trigger append_only_truncate before truncate on audit.capture_state
  for each statement execute function audit.refuse_change();

---------------------------------------------------------------------------------------------------
-- Row shapes: the rows travel as record text (the cheapest form PostgreSQL writes: 3.8k
-- instructions per row where JSON costs 13k) and are read back with record_in. That needs a
-- composite type of the same columns, which must outlive the table (the rows of a dropped table
-- are ingested after the DROP), so each table's columns get a type of their own in schema audit:
-- built-in types as they are (with their typmod, so char(84) pads the same), domains as their base
-- type, every other type (enums, composites, extension types) as text, which is what to_jsonb made
-- of them before, apart from composite values, now a string.
create table audit.row_shapes (
  id integer generated always as identity primary key,
  type_oid oid not null unique,
  column_names text[] not null,
  column_types text[] not null,
  unique (column_names, column_types)
);
comment on table audit.row_shapes is 'Internal: one composite type (audit.row_shape_<id>) per distinct column list of an audited table, which audit.ingest() reads captured rows back with.';
comment on column audit.row_shapes.id is 'Shape number, part of the type name.';
comment on column audit.row_shapes.type_oid is 'The composite type.';
comment on column audit.row_shapes.column_names is 'Column names, in table order.';
comment on column audit.row_shapes.column_types is 'Column types as declared in the type.';
comment on sequence audit.row_shapes_id_seq is 'Numbers the row shapes (identity of audit.row_shapes.id).';
create trigger append_only before update or delete on audit.row_shapes for each row execute function audit.refuse_change();
create trigger append_only_truncate before truncate on audit.row_shapes for each statement execute function audit.refuse_change();

create function audit.row_shape(target regclass) returns oid
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_names text[];
  v_types text[];
  v_oid oid;
  v_name text;
begin
  select pg_catalog.array_agg(a.attname::text order by a.attnum),
         pg_catalog.array_agg(case when b.oid < 16384 then pg_catalog.format_type(b.oid, b.typmod) -- built in
                                   when b.typcategory = 'A' then 'text[]'
                                   else 'text' end order by a.attnum)
    into v_names, v_types
  from pg_catalog.pg_attribute a
  -- A domain (also over a domain) is stored as its base type, with the typmod the domain gives it.
  cross join lateral (
    with recursive d(oid, typmod, depth) as (
      select a.atttypid, a.atttypmod, 0
      union all
      select t.typbasetype, t.typtypmod, d.depth + 1
      from d join pg_catalog.pg_type t on t.oid = d.oid where t.typtype = 'd'
    )
    select d.oid, d.typmod, t.typcategory
    from d join pg_catalog.pg_type t on t.oid = d.oid order by d.depth desc limit 1
  ) as b
  where a.attrelid = target and a.attnum > 0 and not a.attisdropped;

  select s.type_oid into v_oid from audit.row_shapes s where s.column_names = v_names and s.column_types = v_types;
  if found then
    return v_oid;
  end if;
  v_name := 'row_shape_' || pg_catalog.left(pg_catalog.md5(v_names::text || ' ' || v_types::text), 16);
  execute pg_catalog.format('create type audit.%I as (%s)', v_name,
    (select pg_catalog.string_agg(pg_catalog.format('%I %s', c.n, c.t), ', ' order by c.i)
     from unnest(v_names, v_types) with ordinality as c(n, t, i)));
  execute pg_catalog.format('comment on type audit.%I is %L', v_name,
    'whodunit: the columns of ' || target::text || ' when it was (re)enabled; audit.ingest() reads its captured rows back with this type.');
  v_oid := pg_catalog.to_regtype('audit.' || v_name)::oid;
  insert into audit.row_shapes (type_oid, column_names, column_types) values (v_oid, v_names, v_types);
  return v_oid;
end $$;
comment on function audit.row_shape(regclass) is 'Internal: the composite type (created when new) with the current columns of a table, for reading its captured rows back.';

---------------------------------------------------------------------------------------------------
-- The writer side. A capture message's body is text:
--   <meta length, 8 digits><meta JSON><session JSON>\x1f<rows>
-- meta is the table's fixed JSON (a trigger argument, built by install_triggers with its length),
-- session is [statement start, db user, client address, application_name, backend pid, row count,
-- statement], and
-- rows the record texts joined by \x1e (an UPDATE: its old rows, then its new rows). JSON holds no
-- raw \x1f, so the first one after meta ends the session; a value inside rows may hold any byte,
-- which is why the count travels with them (audit.split_rows).
-- The transaction's id comes from the WAL (audit.ingest). A row change is dated by its statement's
-- start (statement_timestamp()), as events written in the same transaction are (011 sets their
-- default), so a request's timeline keeps the order things happened in.

create or replace function audit.set_context(
  user_id text, username text, correlation_id text, client_ip inet, user_agent text, request text
) returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v text;
begin
  -- is_local = true: the settings die with the transaction, so a pooled connection handed to the
  -- next client (pgbouncer transaction mode) carries nothing over. DDL capture, access_log and
  -- audit.disable read them; row capture reads the message below.
  v := pg_catalog.set_config('whodunit.user_id', coalesce(pg_catalog.left(user_id, 200), ''), true);
  v := pg_catalog.set_config('whodunit.username', coalesce(pg_catalog.left(username, 200), ''), true);
  v := pg_catalog.set_config('whodunit.correlation_id', coalesce(pg_catalog.left(correlation_id, 200), ''), true);
  v := pg_catalog.set_config('whodunit.client_ip', coalesce(client_ip::text, ''), true);
  v := pg_catalog.set_config('whodunit.user_agent', coalesce(pg_catalog.left(user_agent, 500), ''), true);
  v := pg_catalog.set_config('whodunit.request', coalesce(pg_catalog.left(request, 2000), ''), true);
  -- Transactional: decoded only if the transaction (and the savepoint it ran in) commits. An
  -- assignment, not PERFORM: PL/pgSQL evaluates it without starting an executor.
  v := pg_catalog.pg_logical_emit_message(true, 'whodunit.context', pg_catalog.json_build_array(
    pg_catalog.left(user_id, 200), pg_catalog.left(username, 200), pg_catalog.left(correlation_id, 200), client_ip,
    pg_catalog.left(user_agent, 500), pg_catalog.left(request, 2000))::text)::text;
end $$;

-- tg_argv[0]: the table's meta (length-prefixed JSON); tg_argv[1]: the message prefix
-- (whodunit.insert, .update or .delete).
-- Costs, measured with callgrind per audited statement of pgbench's tpcb-like transaction:
-- PL/pgSQL compiles each simple expression once per transaction, so they are few and small, and
-- they are assignments, never PERFORM (which starts an executor). The one query over the
-- transition tables (executor start-up included) is most of the rest. SECURITY DEFINER with its
-- SET clause costs 14k a call; it stays, because only the schema owner may write capture messages
-- (see the REVOKE below: a message is an audit row to be).
create function audit.capture_statement() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_count bigint;
  v_rows text;
  v_lsn pg_lsn;
begin
  -- The rows as record text, in the order PostgreSQL appended them: an UPDATE's old and new rows
  -- pair up by position. (o.*), not o: a column named o would win over the table alias.
  if tg_op = 'UPDATE' then
    select a.c, a.f || e'\x1e' || (select pg_catalog.string_agg((n.*)::text, e'\x1e') from new_rows n)
      into v_count, v_rows
    from (select pg_catalog.count(*) as c, pg_catalog.string_agg((o.*)::text, e'\x1e') as f from old_rows o) as a;
  elsif tg_op = 'DELETE' then
    select pg_catalog.count(*), pg_catalog.string_agg((o.*)::text, e'\x1e') into v_count, v_rows from old_rows o;
  else
    select pg_catalog.count(*), pg_catalog.string_agg((n.*)::text, e'\x1e') into v_count, v_rows from new_rows n;
  end if;
  if v_count = 0 then
    return null; -- nothing changed: nothing is recorded
  end if;
  v_lsn := pg_catalog.pg_logical_emit_message(true, tg_argv[1], tg_argv[0] ||
    pg_catalog.json_build_array(pg_catalog.statement_timestamp(), session_user, pg_catalog.inet_client_addr(),
      pg_catalog.current_setting('application_name'), pg_catalog.pg_backend_pid(), v_count,
      pg_catalog.left(pg_catalog.current_query(), 4000))::text || e'\x1f' || v_rows);
  if v_count > 1 and tg_op <> 'INSERT' then
    -- A possible wipe: wake the collector's ingest loop now rather than at its next poll.
    v_rows := pg_catalog.pg_notify('whodunit_ingest', '');
  end if;
  return null;
end $$;
comment on function audit.capture_statement() is 'Internal trigger (AFTER INSERT/UPDATE/DELETE FOR EACH STATEMENT, with transition tables): writes the statement''s rows, who ran it and the table''s meta as one logical decoding message for audit.ingest().';

-- A capture message becomes audit rows: whoever may write one may write the trail. So nobody but
-- the schema owner (the capture triggers, set_context, the DDL event triggers) may, in this
-- database. A role that needs logical messages of its own gets EXECUTE back explicitly.
-- Every overload (PostgreSQL 17 adds a flush argument).
do $$
declare
  f regprocedure;
begin
  for f in select p.oid from pg_catalog.pg_proc p where p.proname = 'pg_logical_emit_message'
             and p.pronamespace = 'pg_catalog'::regnamespace loop
    execute pg_catalog.format('revoke execute on function %s from public', f);
  end loop;
end $$;

create function audit.capture_truncate_message() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_count bigint;
  v_lsn pg_lsn;
begin
  -- Counted before the rows go (BEFORE trigger), capped so a huge table does not stall the TRUNCATE.
  execute pg_catalog.format('select count(*) from (select from %I.%I limit 1000000) as capped', tg_table_schema, tg_table_name)
    into v_count;
  v_lsn := pg_catalog.pg_logical_emit_message(true, 'whodunit.truncate', tg_argv[0] ||
    pg_catalog.json_build_array(pg_catalog.statement_timestamp(), session_user, pg_catalog.inet_client_addr(),
      pg_catalog.current_setting('application_name'), pg_catalog.pg_backend_pid(), v_count,
      pg_catalog.left(pg_catalog.current_query(), 4000))::text || e'\x1f');
  perform pg_catalog.pg_notify('whodunit_ingest', '');
  return null;
end $$;
comment on function audit.capture_truncate_message() is 'Internal trigger (BEFORE TRUNCATE): records the TRUNCATE with the number of rows it removes (capped at 1,000,000) as a message for audit.ingest().';

create or replace function audit.install_triggers(target regclass) returns void
language plpgsql security definer set search_path = '' set client_min_messages = warning as $$
declare
  v_track audit.tracking;
  v_columns text[];
  v_nonkey text[];
  v_meta text;
begin
  select * into v_track from audit.tracking where relid = target;
  select coalesce(pg_catalog.array_agg(a.attname::text order by a.attnum), '{}') into v_columns
  from pg_catalog.pg_attribute a where a.attrelid = target and a.attnum > 0 and not a.attisdropped;
  v_nonkey := case when v_track.has_primary_key
    then array(select c from pg_catalog.unnest(v_columns) as c where c <> all (v_track.key_columns)) else '{}' end;
  -- Resolved now, so neither the writer nor ingest looks anything up per row.
  select pg_catalog.json_build_object('schema', n.nspname, 'table', c.relname, 'shape', audit.row_shape(target),
           'nonkey', v_nonkey, 'sensitive', v_track.sensitive_columns)::text
    into v_meta
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = target;
  v_meta := pg_catalog.lpad(pg_catalog.octet_length(v_meta)::text, 8, '0') || v_meta;
  execute pg_catalog.format('drop trigger if exists whodunit_audit_insert on %s', target);
  execute pg_catalog.format('drop trigger if exists whodunit_audit_update on %s', target);
  execute pg_catalog.format('drop trigger if exists whodunit_audit_delete on %s', target);
  execute pg_catalog.format('drop trigger if exists whodunit_audit_truncate on %s', target);
  execute pg_catalog.format('create trigger whodunit_audit_insert after insert on %s referencing new table as new_rows for each statement execute function audit.capture_statement(%L, %L)', target, v_meta, 'whodunit.insert');
  execute pg_catalog.format('create trigger whodunit_audit_update after update on %s referencing old table as old_rows new table as new_rows for each statement execute function audit.capture_statement(%L, %L)', target, v_meta, 'whodunit.update');
  execute pg_catalog.format('create trigger whodunit_audit_delete after delete on %s referencing old table as old_rows for each statement execute function audit.capture_statement(%L, %L)', target, v_meta, 'whodunit.delete');
  execute pg_catalog.format('create trigger whodunit_audit_truncate before truncate on %s for each statement execute function audit.capture_truncate_message(%L)', target, v_meta);
end $$;

---------------------------------------------------------------------------------------------------
-- DDL: recorded as messages too, so that a DROP is ordered after the DELETE that came before it
-- in the same transaction. Keeping the triggers of audited tables in step stays immediate.

create function audit.ddl_message(command_tag text, object_type text, schema_name text, object_identity text) returns void
language plpgsql volatile security definer set search_path = '' as $$
begin
  perform pg_catalog.pg_logical_emit_message(true, 'whodunit.ddl', pg_catalog.json_build_object(
    'command_tag', command_tag, 'object_type', object_type, 'schema_name', schema_name, 'object_identity', object_identity,
    'occurred_at', pg_catalog.statement_timestamp(),
    'app_user_id', audit.context_value('user_id'), 'app_username', audit.context_value('username'),
    'correlation_id', audit.context_value('correlation_id'), 'client_ip', audit.context_value('client_ip'),
    'user_agent', audit.context_value('user_agent'), 'request', audit.context_value('request'),
    'db_user', session_user, 'client_addr', pg_catalog.inet_client_addr(),
    'application_name', pg_catalog.current_setting('application_name'), 'backend_pid', pg_catalog.pg_backend_pid(),
    'statement', pg_catalog.left(pg_catalog.current_query(), 4000))::text);
end $$;
comment on function audit.ddl_message(text, text, text, text) is 'Internal: records one CREATE/ALTER/DROP of a table, with the transaction''s context, as a message for audit.ingest().';

create or replace function audit.capture_ddl() returns event_trigger
language plpgsql security definer set search_path = '' as $$
declare
  r record;
begin
  for r in
    select * from pg_catalog.pg_event_trigger_ddl_commands()
    where object_type = 'table' and schema_name is distinct from 'audit' and schema_name !~ '^pg_temp' and not in_extension
  loop
    perform audit.ddl_message(r.command_tag, r.object_type, r.schema_name, r.object_identity);
    -- Keep the capture triggers in step with the columns (key, sensitive columns and shape are resolved there).
    if r.command_tag = 'ALTER TABLE' and exists (select from audit.tracking where relid = r.objid) then
      perform audit.install_triggers(r.objid::regclass);
    end if;
    -- A new partition of an audited table is audited too.
    if r.command_tag = 'CREATE TABLE' and exists (
      select from pg_catalog.pg_inherits i join audit.tracking t on t.relid = i.inhparent where i.inhrelid = r.objid
    ) then
      perform audit.enable(r.objid::regclass);
    end if;
  end loop;
end $$;

create or replace function audit.capture_drop() returns event_trigger
language plpgsql security definer set search_path = '' as $$
declare
  r record;
begin
  for r in
    select * from pg_catalog.pg_event_trigger_dropped_objects()
    where object_type = 'table' and not is_temporary
  loop
    if r.schema_name = 'audit' then
      if pg_catalog.current_setting('whodunit.retention_running', true) is distinct from 'on' then
        raise exception 'DROP of audit.% is refused: the audit trail is append-only (use audit.apply_retention())', r.object_name
          using errcode = 'insufficient_privilege';
      end if;
      continue;
    end if;
    perform audit.ddl_message(tg_tag, r.object_type, r.schema_name, r.object_identity);
    delete from audit.tracking where relid = r.objid;
    perform pg_catalog.pg_notify('whodunit_ingest', '');
  end loop;
end $$;

---------------------------------------------------------------------------------------------------
-- Starting and watching the capture.

create function audit.start_capture() returns text
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_state audit.capture_state;
  v_table oid;
begin
  if pg_catalog.current_setting('wal_level') <> 'logical' then
    raise exception 'audit.start_capture: wal_level is "%", and whodunit reads its capture from the WAL', pg_catalog.current_setting('wal_level')
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Set wal_level = logical (ALTER SYSTEM SET wal_level = logical, or -c wal_level=logical) and restart PostgreSQL.';
  end if;
  select * into v_state from audit.capture_state;
  if exists (select from pg_catalog.pg_replication_slots s where s.slot_name = v_state.slot_name) then
    return v_state.slot_name;
  end if;
  if pg_catalog.pg_current_xact_id_if_assigned() is not null then
    raise exception 'audit.start_capture: the capture slot must be created in a transaction that has written nothing yet'
      using errcode = 'invalid_transaction_state', hint = 'Run select audit.start_capture(); on its own.';
  end if;
  -- From here on every committed message is kept for audit.ingest().
  perform pg_catalog.pg_create_logical_replication_slot(v_state.slot_name, 'pgoutput');
  update audit.capture_state set started_at = pg_catalog.now(), ingested_lsn = null;
  -- Tables enabled before 011 still write with 010's triggers: switch them in this transaction,
  -- so every statement is captured by exactly one of the two.
  for v_table in select t.relid from audit.tracking t loop
    perform audit.install_triggers(v_table::regclass);
  end loop;
  return v_state.slot_name;
end $$;
comment on function audit.start_capture() is 'Creates this database''s capture slot (needs wal_level = logical, and a transaction that has written nothing yet) and switches audited tables to it; returns the slot name. Idempotent: the migrator calls it after every run, audit.enable() when no slot exists yet.';

create function audit.capture_status()
returns table (slot_name text, slot_exists boolean, ingested_lsn pg_lsn, ingested_at timestamptz, pending_wal_bytes numeric,
               wal_status text)
language sql stable security definer set search_path = '' as $$
  select c.slot_name, s.slot_name is not null, c.ingested_lsn, c.ingested_at,
         pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), coalesce(c.ingested_lsn, s.confirmed_flush_lsn)),
         s.wal_status
  from audit.capture_state c
  left join pg_catalog.pg_replication_slots s on s.slot_name = c.slot_name
$$;
comment on function audit.capture_status() is 'The capture slot of this database: whether it exists, how far audit.ingest() has read (LSN and time), how many bytes of WAL it still holds, and its wal_status (lost means WAL was removed before it was ingested: max_slot_wal_keep_size).';

create or replace function audit.enable(target regclass) returns void
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
  -- Without the slot the messages would be lost: create it, or say how.
  perform audit.start_capture();
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
comment on function audit.enable(regclass) is 'Starts auditing a table (and its partitions): every INSERT, UPDATE, DELETE and TRUNCATE is recorded with the transaction''s context. Tables without a primary key are supported (the whole row identifies a row). Starts the capture slot first if needed (then call it in a transaction that has written nothing yet). Idempotent.';
