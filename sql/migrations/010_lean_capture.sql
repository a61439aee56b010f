-- 010: a leaner row path. Measured with callgrind (instructions per audited one-row UPDATE on
-- pgbench_accounts, PostgreSQL 15; the UPDATE alone costs 168k): 956k before this migration.
--   - CHECK constraints on the two capture tables were rebuilt from their stored text on every
--     audited statement (ExecConstraints -> stringToNode): 66k. The capture triggers are their only
--     writers (nobody else may INSERT), so the triggers' code is the invariant; the constraints go.
--   - The row-history index keyed on (table_name, record_pk jsonb, table_schema) compared jsonb
--     values under a collation on every insert: 43k per row of a bulk DELETE. It is replaced by
--     one bigint, row_key, a hash of the table and the key; who_changed re-checks table and key.
--   - A one-row statement (the usual OLTP case) no longer runs the set-based capture queries
--     (window functions, a join and a lateral aggregate over the transition tables), and its row is
--     stored inline in its audit.statements row: one insert per statement instead of two.
--     Statements of two or more rows keep one audit.changed_rows row per row; audit.row_changes
--     shows both alike.
--   - audit.set_context was a SQL function, whose body PostgreSQL parses and plans again on every
--     call: 350k per call, more than the UPDATE itself. As PL/pgSQL its plan is cached: 110k.
--   - audit.new_statement was a PL/pgSQL function call per statement; as one SQL expression it is
--     inlined into the trigger's plan.
--   - A bulk statement's key (row - non-key columns) was computed three times per row (the
--     planner copied the expression into each use); once now.
-- Together: one pgbench tpcb-like transaction with context 4,013k -> 3,123k (718k unaudited); the
-- audited one-row UPDATE 956k -> 751k; a 10,000-row DELETE 118k -> 88k per row (4.7k unaudited).

alter table audit.statements drop constraint statements_operation_check;
alter table audit.statements drop constraint statements_rows_check;
alter table audit.changed_rows drop constraint changed_rows_operation_check;

create function audit.row_key(table_schema text, table_name text, record_pk jsonb) returns bigint
language sql immutable parallel safe as $$
  select pg_catalog.hashtextextended(table_schema || '.' || table_name || coalesce(' ' || record_pk::text, ''), 0)
$$;
comment on function audit.row_key(text, text, jsonb) is 'Internal: the row-history lookup key of audit.changed_rows, a 64-bit hash of the table and the row''s key (of the table alone for a TRUNCATE). Equal keys may collide: lookups re-check table and key.';

alter table audit.changed_rows add column row_key bigint;
-- Rows captured before this migration get their key here (the append-only guard is the only
-- trigger on the table; it is off for this one statement, inside this migration's transaction).
alter table audit.changed_rows disable trigger append_only;
update audit.changed_rows set row_key = audit.row_key(table_schema, table_name, record_pk);
alter table audit.changed_rows enable trigger append_only;
alter table audit.changed_rows alter column row_key set not null;
create index changed_rows_row_key_idx on audit.changed_rows (row_key);
drop index audit.changed_rows_record_idx;
comment on column audit.changed_rows.row_key is 'audit.row_key(table_schema, table_name, record_pk): what the row-history index (who_changed) looks up. Checked by audit.verify_chain.';

-- The row of a one-row statement, inline (NULL for statements of several rows, whose rows are in
-- audit.changed_rows, and for TRUNCATE).
alter table audit.statements add column record_pk jsonb, add column old_values jsonb, add column new_values jsonb,
  add column changed_columns text[], add column row_key bigint;
create index statements_row_key_idx on audit.statements (row_key);
comment on column audit.statements.record_pk is 'One-row statements: the row''s key as a JSON object (as audit.changed_rows.record_pk); NULL otherwise.';
comment on column audit.statements.old_values is 'One-row statements: values before (DELETE: whole row; UPDATE: changed columns); NULL otherwise.';
comment on column audit.statements.new_values is 'One-row statements: values after (INSERT: whole row; UPDATE: changed columns); NULL otherwise.';
comment on column audit.statements.changed_columns is 'One-row UPDATEs: the columns that changed.';
comment on column audit.statements.row_key is 'One-row statements: audit.row_key(table_schema, table_name, record_pk), what who_changed looks up. Checked by audit.verify_chain.';
comment on table audit.statements is 'One row per audited statement on an enabled table: what ran, how many rows it changed, who ran it (the transaction''s context), and for a one-row statement the row itself. The statement text is stored here once, not per row.';

-- Existing rows (no inline row) keep their hash: the inline fields count only when present.
create or replace function audit.statement_hash(s audit.statements) returns bytea
language sql stable parallel safe as $$
  select audit.digest(array[
    s.id::text, audit.epoch(s.occurred_at), s.tx_id::text, s.table_schema, s.table_name, s.operation,
    s.rows::text, s.app_user_id, s.app_username, s.correlation_id, s.client_ip::text, s.user_agent,
    s.request, s.db_user, s.client_addr::text, s.application_name, s.backend_pid::text, s.statement]
    || case when s.row_key is null and s.record_pk is null and s.old_values is null and s.new_values is null
              and s.changed_columns is null then '{}'::text[]
            else array[s.record_pk::text, s.old_values::text, s.new_values::text, s.changed_columns::text, s.row_key::text] end)
$$;

-- The key columns of every table ever enabled: who_changed on a dropped or disabled table learns
-- its key here instead of from a scan of the table's history.
create table audit.table_keys (
  table_schema text not null,
  table_name text not null,
  key_columns text[] not null,
  primary key (table_schema, table_name)
);
comment on table audit.table_keys is 'Internal: the key columns of every table ever enabled (kept after disable or DROP), for audit.who_changed.';
comment on column audit.table_keys.table_schema is 'Schema of the table.';
comment on column audit.table_keys.table_name is 'Name of the table.';
comment on column audit.table_keys.key_columns is 'Its primary key columns when last enabled (every column for a table without a primary key).';

create function audit.remember_key() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into audit.table_keys (table_schema, table_name, key_columns)
  select n.nspname, c.relname, new.key_columns
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = new.relid
  on conflict (table_schema, table_name) do update set key_columns = excluded.key_columns;
  return null;
end $$;
comment on function audit.remember_key() is 'Internal trigger on audit.tracking: records the key columns of an enabled table in audit.table_keys.';
create trigger remember_key after insert or update on audit.tracking for each row execute function audit.remember_key();
insert into audit.table_keys (table_schema, table_name, key_columns)
select n.nspname, c.relname, t.key_columns
from audit.tracking t join pg_catalog.pg_class c on c.oid = t.relid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
on conflict do nothing;

---------------------------------------------------------------------------------------------------
-- force_generic_plan: with custom plans every statement re-planned the capture queries, which
-- cost more than running them. tg_argv[0]: columns that are not part of the key (record_pk = row -
-- these); '{}' without a primary key. tg_argv[1]: sensitive columns.
create or replace function audit.capture_rows() returns trigger
language plpgsql security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_nonkey text[] := tg_argv[0]::text[];
  v_sensitive text[] := tg_argv[1]::text[];
  v_masked boolean := pg_catalog.cardinality(tg_argv[1]::text[]) > 0;
  v_salt text := '';
  v_stmt audit.statements;
  v_rows bigint;
  v_mass integer;
  v_first jsonb[];
  v_old jsonb;
  v_new jsonb;
  v_pk jsonb;
  v_cols text[];
begin
  if v_masked then
    select hash_salt into v_salt from audit.settings;
  end if;

  -- At most two rows read: one means the one-row path below, two the set-based one. (Reading
  -- the old row and the difference in this same query was measured: no cheaper.)
  if tg_op = 'DELETE' then
    v_first := array(select pg_catalog.to_jsonb(o.*) from old_rows o limit 2);
  else
    v_first := array(select pg_catalog.to_jsonb(n.*) from new_rows n limit 2);
  end if;

  if pg_catalog.cardinality(v_first) = 1 then
    -- Separate statements: a query naming old_rows cannot even be planned in an INSERT trigger.
    if tg_op = 'UPDATE' then
      v_old := (select pg_catalog.to_jsonb(o.*) from old_rows o);
      v_new := v_first[1];
    elsif tg_op = 'DELETE' then
      v_old := v_first[1];
    else
      v_new := v_first[1];
    end if;
    if v_masked then
      v_old := audit.mask(v_old, v_sensitive, v_salt);
      v_new := audit.mask(v_new, v_sensitive, v_salt);
    end if;
    v_pk := coalesce(v_old, v_new) - v_nonkey;
    if tg_op = 'UPDATE' then
      select pg_catalog.array_agg(e.key order by e.key), pg_catalog.jsonb_object_agg(e.key, v_old -> e.key),
             pg_catalog.jsonb_object_agg(e.key, e.value)
      into v_cols, v_old, v_new
      from pg_catalog.jsonb_each(v_new) as e
      where e.value is distinct from v_old -> e.key;
      if v_cols is null then
        return null; -- an UPDATE that changed nothing writes nothing
      end if;
    end if;
    -- The whole statement row in one expression (assigning its fields one by one cost more).
    v_stmt := audit.new_statement(tg_table_schema, tg_table_name, tg_op, v_masked, 1, v_pk, v_old, v_new, v_cols);
    v_stmt.content_hash := audit.statement_hash(v_stmt);
    insert into audit.statements values (v_stmt.*);
    return null;
  elsif pg_catalog.cardinality(v_first) = 0 then
    return null; -- no row
  end if;

  -- Two rows or more: one audit.changed_rows row each; the statement row holds none.
  v_stmt := audit.new_statement(tg_table_schema, tg_table_name, tg_op, v_masked, null, null, null, null, null);
  if tg_op = 'INSERT' then
    insert into audit.changed_rows
    select x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, null, x.j, null,
           audit.changed_row_hash(x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, null, x.j, null),
           audit.row_key(tg_table_schema, tg_table_name, x.pk)
    from (select y.id, y.j, y.j - v_nonkey as pk
          from (select pg_catalog.nextval('audit.record_id_seq') as id, case when v_masked then audit.mask(pg_catalog.to_jsonb(n.*), v_sensitive, v_salt) else pg_catalog.to_jsonb(n.*) end as j
                from new_rows n) as y
          offset 0) as x; -- offset 0: x stays a subquery, so pk is computed once per row, not three times
    get diagnostics v_rows = row_count;
  elsif tg_op = 'DELETE' then
    insert into audit.changed_rows
    select x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, x.j, null, null,
           audit.changed_row_hash(x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, x.j, null, null),
           audit.row_key(tg_table_schema, tg_table_name, x.pk)
    from (select y.id, y.j, y.j - v_nonkey as pk
          from (select pg_catalog.nextval('audit.record_id_seq') as id, case when v_masked then audit.mask(pg_catalog.to_jsonb(o.*), v_sensitive, v_salt) else pg_catalog.to_jsonb(o.*) end as j
                from old_rows o) as y
          offset 0) as x;
    get diagnostics v_rows = row_count;
  else
    -- Old and new transition rows come in the same order (PostgreSQL appends both per updated row),
    -- so pairing by position also works when the key itself changed or there is no key.
    insert into audit.changed_rows
    select x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, x.old_values, x.new_values, x.cols,
           audit.changed_row_hash(x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, x.old_values, x.new_values, x.cols),
           audit.row_key(tg_table_schema, tg_table_name, x.pk)
    from (
      select pg_catalog.nextval('audit.record_id_seq') as id, p.oj - v_nonkey as pk, d.old_values, d.new_values, d.cols
      from (
        select case when v_masked then audit.mask(o.j, v_sensitive, v_salt) else o.j end as oj,
               case when v_masked then audit.mask(n.j, v_sensitive, v_salt) else n.j end as nj
        from (select pg_catalog.row_number() over () as pos, pg_catalog.to_jsonb(o.*) as j from old_rows o) as o
        join (select pg_catalog.row_number() over () as pos, pg_catalog.to_jsonb(n.*) as j from new_rows n) as n using (pos)
      ) as p
      cross join lateral (
        select pg_catalog.array_agg(e.key order by e.key) as cols,
               pg_catalog.jsonb_object_agg(e.key, p.oj -> e.key) as old_values,
               pg_catalog.jsonb_object_agg(e.key, e.value) as new_values
        from pg_catalog.jsonb_each(p.nj) as e
        where e.value is distinct from p.oj -> e.key
      ) as d
      where d.cols is not null
    ) as x;
    get diagnostics v_rows = row_count;
  end if;

  if v_rows = 0 then
    return null; -- nothing changed (e.g. an UPDATE setting the same values): nothing is written
  end if;
  v_stmt.rows := v_rows;
  v_stmt.content_hash := audit.statement_hash(v_stmt);
  insert into audit.statements values (v_stmt.*);

  if v_rows >= 2 and tg_op <> 'INSERT' then
    select mass_change_rows into v_mass from audit.settings;
    if v_rows >= v_mass then
      perform audit.alert(case tg_op when 'DELETE' then 'mass_delete' else 'mass_update' end, v_stmt);
    end if;
  end if;
  return null;
end $$;

create or replace function audit.capture_truncate() returns trigger
language plpgsql security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_stmt audit.statements;
  v_id bigint;
begin
  v_stmt := audit.new_statement(tg_table_schema, tg_table_name, 'TRUNCATE', false, null, null, null, null, null);
  -- Counted before the rows go (BEFORE trigger), capped so a huge table does not stall the TRUNCATE.
  execute pg_catalog.format('select count(*) from (select from %I.%I limit 1000000) as capped', tg_table_schema, tg_table_name)
    into v_stmt.rows;
  v_stmt.content_hash := audit.statement_hash(v_stmt);
  insert into audit.statements values (v_stmt.*);
  v_id := pg_catalog.nextval('audit.record_id_seq');
  insert into audit.changed_rows values (
    v_id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, 'TRUNCATE', null, null, null, null,
    audit.changed_row_hash(v_id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, 'TRUNCATE', null, null, null, null),
    audit.row_key(tg_table_schema, tg_table_name, null));
  perform audit.alert('truncate', v_stmt);
  return null;
end $$;

create or replace function audit.key_candidates(p_schema text, p_table text, pk text) returns jsonb[]
language plpgsql stable as $$
declare
  v_key text[];
  v_json jsonb;
begin
  begin
    v_json := pk::jsonb;
  exception when invalid_text_representation then
    v_json := null;
  end;
  if pg_catalog.jsonb_typeof(v_json) = 'object' then
    return array[v_json];
  end if;
  -- Also for a dropped or disabled table: audit.table_keys keeps what enable() saw.
  select k.key_columns into v_key from audit.table_keys k where k.table_schema = p_schema and k.table_name = p_table;
  if coalesce(pg_catalog.cardinality(v_key), 0) = 0 then
    return '{}'; -- never audited: no history
  end if;
  if pg_catalog.cardinality(v_key) > 1 then
    raise exception 'audit.who_changed: %.% is identified by several columns (%); pass pk as a JSON object, e.g. {"a": 1, "b": "x"}',
      p_schema, p_table, pg_catalog.array_to_string(v_key, ', ') using errcode = 'invalid_parameter_value';
  end if;
  return array_remove(array[pg_catalog.jsonb_build_object(v_key[1], pk),
                            case when v_json is not null then pg_catalog.jsonb_build_object(v_key[1], v_json) end], null);
end $$;

create or replace function audit.who_changed(table_name text, pk text)
returns table (change_id bigint, occurred_at timestamptz, operation text, changed_columns text[], old_values jsonb,
               new_values jsonb, app_user_id text, app_username text, correlation_id text, client_ip inet,
               db_user text, application_name text, statement text, tx_id bigint)
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_name text[];
  v_schema text;
  v_table text;
  v_keys jsonb[];
  v_row_keys bigint[];
begin
  if who_changed.table_name is null or pk is null then
    raise exception 'audit.who_changed: table and pk must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  perform audit.log_access('audit.who_changed', pg_catalog.jsonb_build_object('table', who_changed.table_name, 'pk', pk));
  v_name := pg_catalog.parse_ident(who_changed.table_name);
  v_schema := case when pg_catalog.cardinality(v_name) > 1 then v_name[1] else 'public' end;
  v_table := v_name[pg_catalog.cardinality(v_name)];
  v_keys := audit.key_candidates(v_schema, v_table, pk);
  v_row_keys := array(select audit.row_key(v_schema, v_table, k) from pg_catalog.unnest(v_keys) as k);
  return query
  with history as (
    -- row_key is a hash: table and key are checked again.
    select c.id, c.occurred_at, c.statement_id, c.operation, c.changed_columns, c.old_values, c.new_values
    from audit.changed_rows c
    where c.row_key = any (v_row_keys) and c.record_pk = any (v_keys) and c.table_name = v_table and c.table_schema = v_schema
    union all
    select s.id, s.occurred_at, s.id, s.operation, s.changed_columns, s.old_values, s.new_values
    from audit.statements s
    where s.row_key = any (v_row_keys) and s.record_pk = any (v_keys) and s.table_name = v_table and s.table_schema = v_schema
  ), truncates as (
    select c.id, c.occurred_at, c.statement_id, c.operation, null::text[], null::jsonb, null::jsonb
    from audit.changed_rows c
    where c.row_key = audit.row_key(v_schema, v_table, null)
      and c.record_pk is null and c.table_name = v_table and c.table_schema = v_schema
      and c.occurred_at >= (select min(h.occurred_at) from history h)
  )
  select h.id, h.occurred_at, h.operation, h.changed_columns, h.old_values, h.new_values, s.app_user_id, s.app_username,
         s.correlation_id, s.client_ip, s.db_user, s.application_name, s.statement, s.tx_id
  from (select * from history union all select * from truncates) as h
  join audit.statements s on s.id = h.statement_id and s.occurred_at = h.occurred_at
  order by h.id desc;
end $$;

-- A row whose row_key no longer matches its table and key (edited to hide it from who_changed)
-- shows up in verify_chain as a row whose content changed.
create or replace view audit.chained_rows as
select 'statements'::text as table_name, s.id, s.occurred_at, s.content_hash,
       case when (s.row_key is null and s.record_pk is null) or s.row_key = audit.row_key(s.table_schema, s.table_name, s.record_pk)
         then audit.statement_hash(s) else '\x'::bytea end as computed_hash
from audit.statements s
union all
select 'changed_rows', c.id, c.occurred_at, c.content_hash,
       case when c.row_key = audit.row_key(c.table_schema, c.table_name, c.record_pk)
         then audit.changed_row_hash(c.id, c.occurred_at, c.statement_id, c.table_schema, c.table_name, c.operation, c.record_pk,
                                     c.old_values, c.new_values, c.changed_columns)
         else '\x'::bytea end
from audit.changed_rows c
union all
select 'ddl_changes', d.id, d.occurred_at, d.content_hash, audit.ddl_change_hash(d) from audit.ddl_changes d
union all
select 'events', e.id, e.occurred_at, e.content_hash, audit.event_hash(e) from audit.events e
union all
select 'security_events', e.id, e.occurred_at, e.content_hash, audit.security_event_hash(e) from audit.security_events e
union all
select 'access_log', a.id, a.occurred_at, a.content_hash, audit.access_log_hash(a) from audit.access_log a;

-- PL/pgSQL, not SQL: a SQL function's body is parsed and planned again at every call. No
-- search_path setting (a SET clause costs on every call): every name here is qualified, and the
-- function runs with the caller's rights.
create or replace function audit.set_context(
  user_id text, username text, correlation_id text, client_ip inet, user_agent text, request text
) returns void
language plpgsql volatile as $$
declare
  v text;
begin
  -- is_local = true: the settings die with the transaction, so a pooled connection handed to the
  -- next client (pgbouncer transaction mode) carries nothing over.
  v := pg_catalog.set_config('whodunit.user_id', coalesce(pg_catalog.left(user_id, 200), ''), true);
  v := pg_catalog.set_config('whodunit.username', coalesce(pg_catalog.left(username, 200), ''), true);
  v := pg_catalog.set_config('whodunit.correlation_id', coalesce(pg_catalog.left(correlation_id, 200), ''), true);
  v := pg_catalog.set_config('whodunit.client_ip', coalesce(client_ip::text, ''), true);
  v := pg_catalog.set_config('whodunit.user_agent', coalesce(pg_catalog.left(user_agent, 500), ''), true);
  v := pg_catalog.set_config('whodunit.request', coalesce(pg_catalog.left(request, 2000), ''), true);
end $$;

-- One SQL expression, inlined where the capture triggers call it; a one-row statement passes its
-- row, a statement of several rows sets rows itself once it knows them, and content_hash is the
-- caller's. The 3-argument version of 003 is replaced.
drop function audit.new_statement(text, text, text);
create function audit.new_statement(
  p_schema text, p_table text, p_operation text, p_mask_literals boolean,
  p_rows bigint, p_pk jsonb, p_old jsonb, p_new jsonb, p_cols text[]
) returns audit.statements
language sql volatile as $$
  select row(pg_catalog.nextval('audit.record_id_seq'), pg_catalog.now(), pg_catalog.pg_current_xact_id()::text::bigint,
    p_schema, p_table, p_operation, p_rows,
    nullif(pg_catalog.current_setting('whodunit.user_id', true), ''),
    nullif(pg_catalog.current_setting('whodunit.username', true), ''),
    nullif(pg_catalog.current_setting('whodunit.correlation_id', true), ''),
    nullif(pg_catalog.current_setting('whodunit.client_ip', true), '')::inet,
    nullif(pg_catalog.current_setting('whodunit.user_agent', true), ''),
    nullif(pg_catalog.current_setting('whodunit.request', true), ''),
    session_user, pg_catalog.inet_client_addr(), nullif(pg_catalog.current_setting('application_name'), ''),
    pg_catalog.pg_backend_pid(),
    -- A table with sensitive columns: the query text may spell their values as literals, so quoted
    -- strings and numbers are masked.
    case when p_mask_literals
      then pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.left(pg_catalog.current_query(), 4000),
             '''([^'']|'''')*''', '''?''', 'g'), '\m[0-9]+(\.[0-9]+)?\M', '?', 'g')
      else pg_catalog.left(pg_catalog.current_query(), 4000) end,
    null::bytea, p_pk, p_old, p_new, p_cols,
    case when p_pk is not null then audit.row_key(p_schema, p_table, p_pk) end)::audit.statements
$$;
comment on function audit.new_statement(text, text, text, boolean, bigint, jsonb, jsonb, jsonb, text[]) is 'Internal: a new audit.statements row for the running statement with its context (and, for a one-row statement, its row); content_hash is left to the caller.';

-- One-row statements hold their row inline: the view shows them like the rows of audit.changed_rows
-- (id and statement_id are then both the statement's id).
create or replace view audit.row_changes as
select c.id, c.occurred_at, s.tx_id, c.table_schema, c.table_name, c.operation, c.record_pk, c.old_values,
       c.new_values, c.changed_columns, s.app_user_id, s.app_username, s.correlation_id, s.client_ip,
       s.user_agent, s.request, s.db_user, s.client_addr, s.application_name, s.statement, c.statement_id
from audit.changed_rows c
join audit.statements s on s.id = c.statement_id and s.occurred_at = c.occurred_at
union all
select s.id, s.occurred_at, s.tx_id, s.table_schema, s.table_name, s.operation, s.record_pk, s.old_values,
       s.new_values, s.changed_columns, s.app_user_id, s.app_username, s.correlation_id, s.client_ip,
       s.user_agent, s.request, s.db_user, s.client_addr, s.application_name, s.statement, s.id
from audit.statements s
where s.row_key is not null;

-- PL/pgSQL, not SQL, for the same reason as set_context: every forensic call logs itself, and
-- every event, security event, DDL and access_log row takes an id from next_record_id(); as SQL
-- functions both were parsed and planned again at each call (who_changed: 1,619k instructions per
-- call before, 1,428k after).
create or replace function audit.log_access(function_name text, arguments jsonb) returns void
language plpgsql volatile as $$
begin
  insert into audit.access_log (app_username, function_name, arguments)
  values (nullif(pg_catalog.current_setting('whodunit.username', true), ''), log_access.function_name, log_access.arguments);
end $$;

create or replace function audit.next_record_id() returns bigint
language plpgsql volatile security definer set search_path = '' as $$
begin
  -- The row's id is taken after the transaction has an xid (see 001 and audit.seal()).
  perform pg_catalog.pg_current_xact_id();
  return pg_catalog.nextval('audit.record_id_seq');
end $$;
