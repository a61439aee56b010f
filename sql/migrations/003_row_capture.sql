-- 003: the request context, the capture triggers and the API that switches them on and off.
-- Capture is statement-level with transition tables: one trigger call per statement whatever
-- the number of rows, and everything a row needs (key columns, sensitive columns) is resolved
-- when the table is enabled and passed as trigger arguments, so no catalog look-up happens per row.

create table audit.tracking (
  relid oid primary key,
  key_columns text[] not null,
  has_primary_key boolean not null,
  sensitive_columns text[] not null default '{}',
  enabled_at timestamptz not null default now(),
  enabled_by text not null default session_user
);
comment on table audit.tracking is 'Internal registry of enabled tables (read it through audit.tracked_tables()).';
comment on column audit.tracking.relid is 'The table.';
comment on column audit.tracking.key_columns is 'Primary key columns, or every column when the table has no primary key.';
comment on column audit.tracking.has_primary_key is 'False when the whole row identifies a row.';
comment on column audit.tracking.sensitive_columns is 'Columns whose values are stored hashed.';
comment on column audit.tracking.enabled_at is 'When auditing was (last) enabled.';
comment on column audit.tracking.enabled_by is 'Who enabled it.';

---------------------------------------------------------------------------------------------------
create function audit.set_context(
  user_id text, username text, correlation_id text, client_ip inet, user_agent text, request text
) returns void
language sql volatile set search_path = '' as $$
  -- is_local = true: the settings die with the transaction, so a pooled connection handed to the
  -- next client (pgbouncer transaction mode) carries nothing over.
  select pg_catalog.set_config('whodunit.user_id', coalesce(pg_catalog.left(user_id, 200), ''), true),
         pg_catalog.set_config('whodunit.username', coalesce(pg_catalog.left(username, 200), ''), true),
         pg_catalog.set_config('whodunit.correlation_id', coalesce(pg_catalog.left(correlation_id, 200), ''), true),
         pg_catalog.set_config('whodunit.client_ip', coalesce(client_ip::text, ''), true),
         pg_catalog.set_config('whodunit.user_agent', coalesce(pg_catalog.left(user_agent, 500), ''), true),
         pg_catalog.set_config('whodunit.request', coalesce(pg_catalog.left(request, 2000), ''), true);
$$;
comment on function audit.set_context(text, text, text, inet, text, text) is 'Sets who is acting for the rest of the current transaction only (transaction-local, safe behind a transaction-mode pooler): application user id and name, request correlation id, end user IP, user agent, request line. Call it inside the transaction, first. NULL clears a field; long values are truncated.';

create function audit.context_value(name text) returns text
language sql stable parallel safe as $$
  select nullif(pg_catalog.current_setting('whodunit.' || name, true), '')
$$;
comment on function audit.context_value(text) is 'Internal: one field of the transaction''s context (NULL when not set).';

-- A statements row for the current statement, context filled in, id taken; rows and content_hash
-- are set by the caller once it knows how many rows were written.
create function audit.new_statement(p_schema text, p_table text, p_operation text) returns audit.statements
language plpgsql volatile as $$
declare
  s audit.statements;
begin
  s.id := pg_catalog.nextval('audit.record_id_seq');
  s.occurred_at := pg_catalog.now();
  s.tx_id := pg_catalog.pg_current_xact_id()::text::bigint;
  s.table_schema := p_schema;
  s.table_name := p_table;
  s.operation := p_operation;
  s.app_user_id := audit.context_value('user_id');
  s.app_username := audit.context_value('username');
  s.correlation_id := audit.context_value('correlation_id');
  s.client_ip := audit.context_value('client_ip')::inet;
  s.user_agent := audit.context_value('user_agent');
  s.request := audit.context_value('request');
  s.db_user := session_user;
  s.client_addr := pg_catalog.inet_client_addr();
  s.application_name := nullif(pg_catalog.current_setting('application_name'), '');
  s.backend_pid := pg_catalog.pg_backend_pid();
  s.statement := pg_catalog.left(pg_catalog.current_query(), 4000);
  return s;
end $$;
comment on function audit.new_statement(text, text, text) is 'Internal: a new audit.statements row for the running statement with its context.';

create function audit.mask(j jsonb, columns text[], salt text) returns jsonb
language sql immutable parallel safe as $$
  select case when j is null or pg_catalog.cardinality(columns) = 0 then j
    else j || coalesce((
      select pg_catalog.jsonb_object_agg(c, 'sha256:' || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(salt || (j ->> c), 'UTF8')), 'hex'))
      from pg_catalog.unnest(columns) as c
      where j ? c and pg_catalog.jsonb_typeof(j -> c) <> 'null'), '{}')
  end
$$;
comment on function audit.mask(jsonb, text[], text) is 'Internal: replaces the values of the sensitive columns by a salted sha256 ("sha256:<hex>"); equal values hash equal, so changes are still detected.';

create function audit.alert(kind text, s audit.statements) returns void
language sql volatile as $$
  -- NOTIFY is transactional: delivered at COMMIT, dropped on ROLLBACK (also of a savepoint).
  select pg_catalog.pg_notify('whodunit_alert', pg_catalog.json_build_object(
    'kind', kind, 'table', s.table_schema || '.' || s.table_name, 'operation', s.operation, 'rows', s.rows,
    'app_user_id', s.app_user_id, 'app_username', s.app_username, 'correlation_id', s.correlation_id,
    'client_ip', s.client_ip, 'db_user', s.db_user, 'application_name', pg_catalog.left(s.application_name, 100),
    'tx_id', s.tx_id, 'statement_id', s.id, 'time', s.occurred_at)::text)
$$;
comment on function audit.alert(text, audit.statements) is 'Internal: sends the whodunit_alert notification (JSON: kind, table, operation, rows, app_user_id, app_username, correlation_id, client_ip, db_user, application_name, tx_id, statement_id, time); delivered only if the transaction commits.';

---------------------------------------------------------------------------------------------------
-- force_generic_plan: with custom plans (the default choice here, as the transition tables'
-- estimates are poor) every statement re-planned the capture queries, which cost more than
-- running them (seen with perf: the SQL parser on every audited statement).
-- tg_argv[0]: columns that are not part of the key (record_pk = row - these); '{}' without a primary key.
-- tg_argv[1]: sensitive columns.
create function audit.capture_rows() returns trigger
language plpgsql security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_nonkey text[] := tg_argv[0]::text[];
  v_sensitive text[] := tg_argv[1]::text[];
  v_masked boolean := pg_catalog.cardinality(tg_argv[1]::text[]) > 0;
  v_salt text := '';
  v_stmt audit.statements;
  v_rows bigint;
  v_mass integer;
begin
  v_stmt := audit.new_statement(tg_table_schema, tg_table_name, tg_op);
  if v_masked then
    select hash_salt into v_salt from audit.settings;
    -- The query text may spell a sensitive value as a literal: mask quoted strings and numbers.
    v_stmt.statement := pg_catalog.regexp_replace(pg_catalog.regexp_replace(v_stmt.statement,
      '''([^'']|'''')*''', '''?''', 'g'), '\m[0-9]+(\.[0-9]+)?\M', '?', 'g');
  end if;

  if tg_op = 'INSERT' then
    insert into audit.changed_rows
    select x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.j - v_nonkey, null, x.j, null,
           audit.changed_row_hash(x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.j - v_nonkey, null, x.j, null)
    from (select pg_catalog.nextval('audit.record_id_seq') as id, case when v_masked then audit.mask(pg_catalog.to_jsonb(n.*), v_sensitive, v_salt) else pg_catalog.to_jsonb(n.*) end as j
          from new_rows n) as x;
  elsif tg_op = 'DELETE' then
    insert into audit.changed_rows
    select x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.j - v_nonkey, x.j, null, null,
           audit.changed_row_hash(x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.j - v_nonkey, x.j, null, null)
    from (select pg_catalog.nextval('audit.record_id_seq') as id, case when v_masked then audit.mask(pg_catalog.to_jsonb(o.*), v_sensitive, v_salt) else pg_catalog.to_jsonb(o.*) end as j
          from old_rows o) as x;
  else
    -- Old and new transition rows come in the same order (PostgreSQL appends both per updated row),
    -- so pairing by position also works when the key itself changed or there is no key.
    insert into audit.changed_rows
    select x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, x.old_values, x.new_values, x.cols,
           audit.changed_row_hash(x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, tg_op, x.pk, x.old_values, x.new_values, x.cols)
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
  end if;

  get diagnostics v_rows = row_count;
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
comment on function audit.capture_rows() is 'Internal trigger (AFTER INSERT/UPDATE/DELETE FOR EACH STATEMENT, with transition tables): writes one audit.statements row and one audit.changed_rows row per changed row, and alerts on mass changes.';

create function audit.capture_truncate() returns trigger
language plpgsql security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_stmt audit.statements;
begin
  v_stmt := audit.new_statement(tg_table_schema, tg_table_name, 'TRUNCATE');
  -- Counted before the rows go (BEFORE trigger), capped so a huge table does not stall the TRUNCATE.
  execute pg_catalog.format('select count(*) from (select from %I.%I limit 1000000) as capped', tg_table_schema, tg_table_name)
    into v_stmt.rows;
  v_stmt.content_hash := audit.statement_hash(v_stmt);
  insert into audit.statements values (v_stmt.*);
  insert into audit.changed_rows
  select x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, 'TRUNCATE', null, null, null, null,
         audit.changed_row_hash(x.id, v_stmt.occurred_at, v_stmt.id, tg_table_schema, tg_table_name, 'TRUNCATE', null, null, null, null)
  from (select pg_catalog.nextval('audit.record_id_seq') as id) as x;
  perform audit.alert('truncate', v_stmt);
  return null;
end $$;
comment on function audit.capture_truncate() is 'Internal trigger (BEFORE TRUNCATE): records the TRUNCATE with the number of rows it removes (capped at 1,000,000) and alerts.';
