-- 006: the forensic questions. Each is an index probe (never a scan of a table's whole history)
-- and each call is written to audit.access_log. They force generic plans: planning a query over
-- every monthly partition costs more than running it, and the generic plan is the same probe.

create function audit.log_access(function_name text, arguments jsonb) returns void
language sql volatile as $$
  insert into audit.access_log (app_username, function_name, arguments)
  values (audit.context_value('username'), function_name, arguments)
$$;
comment on function audit.log_access(text, jsonb) is 'Internal: records a call of a forensic function in audit.access_log.';

-- The record_pk values a caller may mean by pk: a JSON object is taken as the whole key; a plain
-- value is the single key column's value, as a JSON string or as the JSON scalar it parses to.
create function audit.key_candidates(p_schema text, p_table text, pk text) returns jsonb[]
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
  select t.key_columns into v_key from audit.tracking t
  join pg_catalog.pg_class c on c.oid = t.relid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname = p_schema and c.relname = p_table;
  if v_key is null then
    -- A dropped or disabled table: learn the key column from its history.
    select array(select pg_catalog.jsonb_object_keys(c.record_pk)) into v_key from audit.changed_rows c
    where c.table_name = p_table and c.table_schema = p_schema and c.record_pk is not null limit 1;
  end if;
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
comment on function audit.key_candidates(text, text, text) is 'Internal: turns the pk argument of who_changed into the record_pk values to look up.';

create function audit.who_changed(table_name text, pk text)
returns table (change_id bigint, occurred_at timestamptz, operation text, changed_columns text[], old_values jsonb,
               new_values jsonb, app_user_id text, app_username text, correlation_id text, client_ip inet,
               db_user text, application_name text, statement text, tx_id bigint)
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_name text[];
  v_schema text;
  v_table text;
  v_keys jsonb[];
begin
  if who_changed.table_name is null or pk is null then
    raise exception 'audit.who_changed: table and pk must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  perform audit.log_access('audit.who_changed', pg_catalog.jsonb_build_object('table', who_changed.table_name, 'pk', pk));
  v_name := pg_catalog.parse_ident(who_changed.table_name);
  v_schema := case when pg_catalog.cardinality(v_name) > 1 then v_name[1] else 'public' end;
  v_table := v_name[pg_catalog.cardinality(v_name)];
  v_keys := audit.key_candidates(v_schema, v_table, pk);
  return query
  with history as (
    select c.id, c.occurred_at, c.statement_id, c.operation, c.changed_columns, c.old_values, c.new_values
    from audit.changed_rows c
    where c.table_name = v_table and c.record_pk = any (v_keys) and c.table_schema = v_schema
  ), truncates as (
    select c.id, c.occurred_at, c.statement_id, c.operation, null::text[], null::jsonb, null::jsonb
    from audit.changed_rows c
    where c.table_name = v_table and c.record_pk is null and c.table_schema = v_schema
      and c.occurred_at >= (select min(h.occurred_at) from history h)
  )
  select h.id, h.occurred_at, h.operation, h.changed_columns, h.old_values, h.new_values, s.app_user_id, s.app_username,
         s.correlation_id, s.client_ip, s.db_user, s.application_name, s.statement, s.tx_id
  from (select * from history union all select * from truncates) as h
  join audit.statements s on s.id = h.statement_id and s.occurred_at = h.occurred_at
  order by h.id desc;
end $$;
comment on function audit.who_changed(text, text) is 'History of one row, newest first: each INSERT, UPDATE (changed columns, old and new values), DELETE, and the TRUNCATEs of its table since, with who did it. table: "schema.table" (also for a dropped table); pk: the key value, or a JSON object for a composite key or a table without a primary key (the whole row). Logged in audit.access_log.';

create function audit.who_changed("table" regclass, pk text)
returns table (change_id bigint, occurred_at timestamptz, operation text, changed_columns text[], old_values jsonb,
               new_values jsonb, app_user_id text, app_username text, correlation_id text, client_ip inet,
               db_user text, application_name text, statement text, tx_id bigint)
language sql volatile security definer set search_path = '' as $$
  select * from audit.who_changed((
    select pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = $1), $2)
$$;
comment on function audit.who_changed(regclass, text) is 'History of one row of an existing table, newest first (see audit.who_changed(text, text)). Logged in audit.access_log.';

create function audit.user_activity(username text, since timestamptz, until timestamptz)
returns table (occurred_at timestamptz, source text, action text, object text, rows bigint, correlation_id text,
               client_ip inet, tx_id bigint, detail jsonb, ref_id bigint)
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_from timestamptz := coalesce(since, '-infinity');
  v_to timestamptz := coalesce(until, 'infinity');
  v_user text := user_activity.username;
begin
  if v_user is null then
    raise exception 'audit.user_activity: username must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  perform audit.log_access('audit.user_activity', pg_catalog.jsonb_build_object('username', v_user, 'since', since, 'until', until));
  return query
  select * from (
    select s.occurred_at, 'row_change'::text, s.operation, s.table_schema || '.' || s.table_name, s.rows, s.correlation_id,
           s.client_ip, s.tx_id, pg_catalog.jsonb_build_object('statement', s.statement, 'request', s.request, 'db_user', s.db_user,
           'application_name', s.application_name, 'matched', case when s.app_username is null then 'db_user' else 'app_username' end), s.id
    from audit.statements s
    where s.app_username = v_user and s.occurred_at >= v_from and s.occurred_at < v_to
    union all
    select s.occurred_at, 'row_change', s.operation, s.table_schema || '.' || s.table_name, s.rows, s.correlation_id,
           s.client_ip, s.tx_id, pg_catalog.jsonb_build_object('statement', s.statement, 'request', s.request, 'db_user', s.db_user,
           'application_name', s.application_name, 'matched', 'db_user'), s.id
    from audit.statements s
    where s.app_username is null and s.db_user = v_user and s.occurred_at >= v_from and s.occurred_at < v_to
    union all
    select d.occurred_at, 'ddl', d.command_tag, d.object_identity, null::bigint, d.correlation_id, d.client_ip, d.tx_id,
           pg_catalog.jsonb_build_object('statement', d.statement, 'db_user', d.db_user, 'application_name', d.application_name), d.id
    from audit.ddl_changes d
    where (d.app_username = v_user or (d.app_username is null and d.db_user = v_user))
      and d.occurred_at >= v_from and d.occurred_at < v_to
    union all
    select e.occurred_at, 'event', e.action, e.resource_type || ':' || e.resource_id, null, e.correlation_id, e.ip, null,
           pg_catalog.jsonb_build_object('success', e.success, 'arguments', e.arguments, 'result', e.result, 'duration_ms', e.duration_ms), e.id
    from audit.events e
    where e.username = v_user and e.occurred_at >= v_from and e.occurred_at < v_to
    union all
    select e.occurred_at, 'security', e.type, e.severity, null, e.correlation_id, e.ip, null, e.details, e.id
    from audit.security_events e
    where e.username = v_user and e.occurred_at >= v_from and e.occurred_at < v_to
  ) as a
  order by 1, 10;
end $$;
comment on function audit.user_activity(text, timestamptz, timestamptz) is 'Everything one user did in [since, until) (NULL: unbounded), in time order: audited statements (matched on the application user name, or on the database role when there was no context), DDL, application events and security events. Logged in audit.access_log.';

create function audit.mass_deletes(since timestamptz, min_rows integer default null)
returns table (statement_id bigint, occurred_at timestamptz, table_schema text, table_name text, operation text, rows bigint,
               app_user_id text, app_username text, db_user text, correlation_id text, client_ip inet,
               application_name text, statement text, tx_id bigint)
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_min integer := min_rows;
begin
  if since is null then
    raise exception 'audit.mass_deletes: since must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  perform audit.log_access('audit.mass_deletes', pg_catalog.jsonb_build_object('since', since, 'min_rows', min_rows));
  if v_min is null then
    select s.mass_change_rows into v_min from audit.settings s;
  end if;
  if v_min < 2 then
    raise exception 'audit.mass_deletes: min_rows must be at least 2 (got %)', v_min using errcode = 'invalid_parameter_value';
  end if;
  return query
  select s.id, s.occurred_at, s.table_schema, s.table_name, s.operation, s.rows, s.app_user_id, s.app_username, s.db_user,
         s.correlation_id, s.client_ip, s.application_name, s.statement, s.tx_id
  from audit.statements s
  where s.operation in ('DELETE', 'TRUNCATE') and s.rows >= 2 -- the partial index's predicate
    and s.occurred_at >= since and s.rows >= v_min
  order by s.occurred_at desc, s.id desc;
end $$;
comment on function audit.mass_deletes(timestamptz, integer) is 'DELETE statements that removed at least min_rows rows (default settings.mass_change_rows, at least 2) and TRUNCATEs of at least as many rows, since a time, newest first: who, which table, how many rows, when, which request. Logged in audit.access_log.';

create function audit.timeline(correlation_id text)
returns table (occurred_at timestamptz, source text, action text, object text, rows bigint, username text, client_ip inet,
               tx_id bigint, detail jsonb, ref_id bigint)
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_id text := timeline.correlation_id;
begin
  if v_id is null then
    raise exception 'audit.timeline: correlation_id must not be NULL' using errcode = 'null_value_not_allowed';
  end if;
  perform audit.log_access('audit.timeline', pg_catalog.jsonb_build_object('correlation_id', v_id));
  return query
  select * from (
    select s.occurred_at, 'row_change'::text, s.operation, s.table_schema || '.' || s.table_name, s.rows,
           coalesce(s.app_username, s.db_user), s.client_ip, s.tx_id,
           pg_catalog.jsonb_build_object('statement', s.statement, 'request', s.request, 'db_user', s.db_user,
           'app_user_id', s.app_user_id, 'user_agent', s.user_agent, 'application_name', s.application_name), s.id
    from audit.statements s where s.correlation_id = v_id
    union all
    select d.occurred_at, 'ddl', d.command_tag, d.object_identity, null::bigint, coalesce(d.app_username, d.db_user), d.client_ip,
           d.tx_id, pg_catalog.jsonb_build_object('statement', d.statement, 'db_user', d.db_user), d.id
    from audit.ddl_changes d where d.correlation_id = v_id
    union all
    select e.occurred_at, 'event', e.action, e.resource_type || ':' || e.resource_id, null, e.username, e.ip, null,
           pg_catalog.jsonb_build_object('success', e.success, 'arguments', e.arguments, 'result', e.result, 'duration_ms', e.duration_ms), e.id
    from audit.events e where e.correlation_id = v_id
    union all
    select e.occurred_at, 'security', e.type, e.severity, null, e.username, e.ip, null, e.details, e.id
    from audit.security_events e where e.correlation_id = v_id
  ) as t
  order by 1, 10;
end $$;
comment on function audit.timeline(text) is 'Everything one request did, in time order: audited statements (one line per statement with its row count; the rows are in audit.row_changes by statement_id = ref_id), TRUNCATEs, DDL, application events and security events with that correlation id. Logged in audit.access_log.';
