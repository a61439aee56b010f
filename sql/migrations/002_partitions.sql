-- 002: monthly partitions (audit.maintain) and retention by whole partitions (audit.apply_retention).
-- Partitions are named <table>_pYYYYMM and cover one UTC calendar month; <table>_default catches
-- rows dated outside every monthly partition (e.g. an event shipped with a very old timestamp).

create table audit.retention_runs (
  id bigint not null default audit.next_record_id() primary key,
  occurred_at timestamptz not null default now(),
  dropped_before timestamptz not null,
  dropped_partitions text[] not null,
  max_dropped_id bigint
);
comment on table audit.retention_runs is 'Each run of audit.apply_retention() that dropped partitions: verify_chain skips seals covering ids up to max_dropped_id.';
comment on column audit.retention_runs.id is 'Row id from audit.record_id_seq.';
comment on column audit.retention_runs.occurred_at is 'When retention ran.';
comment on column audit.retention_runs.dropped_before is 'Rows dated before this were dropped (a month boundary, UTC).';
comment on column audit.retention_runs.dropped_partitions is 'Names of the dropped partitions.';
comment on column audit.retention_runs.max_dropped_id is 'Highest row id found in the dropped partitions (NULL when they were empty).';
create trigger append_only before update or delete on audit.retention_runs
  for each row execute function audit.refuse_change();
create trigger append_only_truncate before truncate on audit.retention_runs
  for each statement execute function audit.refuse_change();

create function audit.partitioned_tables() returns text[]
language sql immutable as $$
  select array['statements', 'changed_rows', 'ddl_changes', 'events', 'security_events', 'access_log']
$$;
comment on function audit.partitioned_tables() is 'Internal: the monthly partitioned audit tables.';

create function audit.maintain() returns setof text
language plpgsql security definer set search_path = '' as $$
declare
  v_ahead integer;
  v_first date;
  v_month date;
  v_table text;
  v_name text;
begin
  -- One maintain() at a time: two racing CREATE TABLE IF NOT EXISTS may still collide.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('audit.maintain'));
  select partitions_ahead into v_ahead from audit.settings;
  v_first := (pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC') - interval '1 month')::date;
  foreach v_table in array audit.partitioned_tables() loop
    v_name := v_table || '_default';
    if pg_catalog.to_regclass('audit.' || v_name) is null then
      execute pg_catalog.format('create table audit.%I partition of audit.%I default', v_name, v_table);
      execute pg_catalog.format('create trigger append_only_truncate before truncate on audit.%I for each statement execute function audit.refuse_change()', v_name);
      return next v_name;
    end if;
    for i in 0 .. v_ahead + 1 loop
      v_month := (v_first + pg_catalog.make_interval(months => i))::date;
      v_name := v_table || '_p' || pg_catalog.to_char(v_month, 'YYYYMM');
      continue when pg_catalog.to_regclass('audit.' || v_name) is not null;
      begin
        execute pg_catalog.format(
          'create table audit.%I partition of audit.%I for values from (%L) to (%L)', v_name, v_table,
          (v_month::timestamp at time zone 'UTC'), ((v_month + interval '1 month')::timestamp at time zone 'UTC'));
        execute pg_catalog.format('create trigger append_only_truncate before truncate on audit.%I for each statement execute function audit.refuse_change()', v_name);
        return next v_name;
      exception when check_violation then
        -- Rows for that month already sit in the default partition; they stay there.
        raise warning 'audit.maintain: cannot create audit.%: audit.%_default holds rows of that month', v_name, v_table;
      end;
    end loop;
  end loop;
end $$;
comment on function audit.maintain() is 'Creates the monthly partitions of every audit table from last month to settings.partitions_ahead months ahead (and a default partition); returns the names it created. Called by the migrator and periodically by the collector; idempotent.';

create function audit.apply_retention() returns setof text
language plpgsql security definer set search_path = '' as $$
declare
  v_cutoff timestamptz;
  v_part record;
  v_max bigint;
  v_max_all bigint;
  v_dropped text[] := '{}';
begin
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('audit.maintain'));
  select pg_catalog.date_trunc('month', (pg_catalog.now() at time zone 'UTC') - s.retention) at time zone 'UTC'
    into v_cutoff from audit.settings s;
  -- The sql_drop event trigger (005) refuses DROP of audit tables unless this is set.
  perform pg_catalog.set_config('whodunit.retention_running', 'on', true);
  for v_part in
    select c.relname, p.relname as parent
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    join pg_catalog.pg_class p on p.oid = i.inhparent
    join pg_catalog.pg_namespace n on n.oid = p.relnamespace
    where n.nspname = 'audit' and p.relname = any (audit.partitioned_tables())
      and c.relname ~ '_p[0-9]{6}$'
      -- upper bound of the month partition <= cutoff
      and (pg_catalog.to_date(pg_catalog.right(c.relname, 6), 'YYYYMM') + interval '1 month')::timestamp at time zone 'UTC' <= v_cutoff
    order by c.relname
  loop
    execute pg_catalog.format('select max(id) from audit.%I', v_part.relname) into v_max;
    v_max_all := greatest(v_max_all, v_max);
    execute pg_catalog.format('drop table audit.%I', v_part.relname);
    v_dropped := v_dropped || v_part.relname::text;
    return next v_part.relname::text;
  end loop;
  perform pg_catalog.set_config('whodunit.retention_running', '', true);
  if pg_catalog.cardinality(v_dropped) > 0 then
    insert into audit.retention_runs (dropped_before, dropped_partitions, max_dropped_id)
      values (v_cutoff, v_dropped, v_max_all);
    insert into audit.security_events (type, severity, username, details)
      values ('retention', 'info', session_user,
              pg_catalog.jsonb_build_object('dropped_before', v_cutoff, 'partitions', v_dropped, 'max_dropped_id', v_max_all));
  end if;
end $$;
comment on function audit.apply_retention() is 'Drops the monthly partitions whose whole month is older than settings.retention, records the run in audit.retention_runs and audit.security_events, and returns the dropped partition names. The only way data leaves the audit trail.';
