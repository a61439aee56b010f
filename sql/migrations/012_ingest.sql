-- 012: audit.ingest(), the reader side of 011's capture: committed capture messages become audit
-- rows, in batches, outside the audited transactions. The collector calls it continuously (its
-- postgres_audit source), and every forensic function calls it first, so an answer includes
-- everything committed before the question.
--
-- Cost, for scale: per row of a 100,000-row DELETE it does the JSON, key, hash and index work the
-- capture trigger of 010 did inside the transaction, once and in set-based statements.

-- The rows of a message, one record text each. A value may itself contain \x1e (record text
-- quotes only spaces and punctuation): plain splitting then gives more pieces than rows, and the
-- pieces are glued back until each one reads as a record of the shape (a slow path for a rare case).
create function audit.split_rows(rows text, expected bigint, shape oid) returns text[]
language plpgsql stable as $$
declare
  v_parts text[] := pg_catalog.string_to_array(rows, e'\x1e');
  v_out text[] := '{}';
  v_acc text;
  v_ok boolean;
begin
  if pg_catalog.cardinality(v_parts) = expected then
    return v_parts;
  end if;
  for i in 1 .. coalesce(pg_catalog.cardinality(v_parts), 0) loop
    v_acc := case when v_acc is null then v_parts[i] else v_acc || e'\x1e' || v_parts[i] end;
    begin
      perform pg_catalog.record_in(v_acc::cstring, shape, -1);
      -- Complete once it reads as a record and the next piece starts a new one.
      v_ok := i = pg_catalog.cardinality(v_parts) or pg_catalog.left(v_parts[i + 1], 1) = '(';
    exception when others then
      v_ok := false;
    end;
    if v_ok then
      v_out := v_out || v_acc;
      v_acc := null;
    end if;
  end loop;
  if pg_catalog.cardinality(v_out) <> expected then
    raise exception 'audit.ingest: a captured statement announced % rows, % could be read back', expected, pg_catalog.cardinality(v_out)
      using errcode = 'data_corrupted';
  end if;
  return v_out;
end $$;
comment on function audit.split_rows(text, bigint, oid) is 'Internal: the record texts of a capture message (rows joined by \x1e), also when a value contains \x1e itself.';

-- The WAL gives a writer's 32-bit xid; its epoch is the current one, or the one before when the
-- 32-bit counter wrapped since.
create function audit.full_xid(xid bigint, now_xid8 bigint) returns bigint
language sql immutable parallel safe as $$
  select case when ((now_xid8 >> 32) << 32) + xid > now_xid8 then ((now_xid8 >> 32) << 32) + xid - 4294967296
              else ((now_xid8 >> 32) << 32) + xid end
$$;
comment on function audit.full_xid(bigint, bigint) is 'Internal: a 32-bit transaction id from the WAL as the 64-bit id pg_current_xact_id() gave it, relative to a later 64-bit id.';

create function audit.ingest(max_changes integer default 100000) returns bigint
language plpgsql volatile security definer set search_path = '' set plan_cache_mode = force_generic_plan as $$
declare
  v_state audit.capture_state;
  v_confirmed pg_lsn;
  v_flushed pg_lsn;
  v_upto pg_lsn;
  v_changes bigint;
  v_xid8 bigint;
  v_written bigint := 0;
  v_count bigint;
  v_mass integer;
  v_salt text;
  v_stmt audit.statements;
  v_ddl audit.ddl_changes;
  v_error text;
  v_sqlstate text;
begin
  if max_changes is null or max_changes < 1 then
    raise exception 'audit.ingest: max_changes must be at least 1 (got %)', max_changes using errcode = 'invalid_parameter_value';
  end if;
  -- One ingest at a time: the collector's loop and the forensic functions may call it together.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('audit.ingest'));
  select * into v_state from audit.capture_state;
  select s.confirmed_flush_lsn into v_confirmed from pg_catalog.pg_replication_slots s where s.slot_name = v_state.slot_name;
  if not found then
    if exists (select from audit.tracking) then
      raise warning 'audit.ingest: capture is not started (no replication slot %): changes to audited tables are not recorded', v_state.slot_name
        using hint = 'Run select audit.start_capture(); on its own (needs wal_level = logical).';
    end if;
    return 0;
  end if;
  -- The slot only moves up to what an earlier ingest committed: if this transaction rolls back,
  -- the next ingest reads the same messages again. (Moving a slot cannot be rolled back, so not
  -- to a position this very transaction wrote: two forensic calls in one transaction ingest twice.)
  -- (A frozen or very old xmin has no status: committed long ago.) Every call consumes: the peek
  -- below starts where the slot is, and a batch must not be filled with what was read before.
  if v_state.ingested_lsn > v_confirmed and coalesce(pg_catalog.pg_xact_status(audit.full_xid(
       (select c.xmin::text::bigint from audit.capture_state c), pg_catalog.pg_current_xact_id()::text::bigint)::text::xid8),
       'committed') = 'committed' then
    -- Consumed with get_changes, not pg_replication_slot_advance: on PostgreSQL 15 the latter left
    -- the slot's restart point behind (measured: 82 MB of WAL decoded again by every call).
    perform count(*) from pg_catalog.pg_logical_slot_get_binary_changes(v_state.slot_name, v_state.ingested_lsn, null,
      'proto_version', '1', 'publication_names', 'whodunit_capture', 'messages', 'true');
  end if;

  -- Work tables of this session. Emptied by DELETE, now and then by TRUNCATE: ON COMMIT DELETE
  -- ROWS truncates at every commit, and a truncation makes PostgreSQL plan every statement below
  -- again (measured: 13 ms of a 20 ms call that had nothing to do).
  if pg_catalog.to_regclass('pg_temp.whodunit_messages') is null then
    create temp table whodunit_messages (n bigint primary key, xid bigint, kind text, body bytea);
    create temp table whodunit_statements (n bigint primary key, xid bigint, op text, meta jsonb, session jsonb, context jsonb,
      row_count bigint, rows text);
    create temp table whodunit_rows (n bigint, ord bigint, record_pk jsonb, old_values jsonb, new_values jsonb,
      changed_columns text[]);
    create temp table whodunit_ids (n bigint, ord bigint, id bigint, primary key (n, ord));
  elsif pg_catalog.pg_relation_size('pg_temp.whodunit_messages') > 64 * 1024 * 1024 then
    truncate whodunit_messages, whodunit_statements, whodunit_rows, whodunit_ids;
  else
    delete from whodunit_messages;
    delete from whodunit_statements;
    delete from whodunit_rows;
    delete from whodunit_ids;
  end if;

  -- Nothing at all written since the last ingest: nothing to decode.
  v_flushed := pg_catalog.pg_current_wal_flush_lsn();
  if v_flushed <= v_state.ingested_lsn then
    return 0;
  end if;

  -- 1. Decode. pgoutput sends each transaction whole, in commit order: 'B', its messages, 'C'
  --    (the row's lsn is where the transaction ends). A message is 'M', flags (1: transactional),
  --    its LSN (8 bytes), the prefix (NUL-terminated), the length (4 bytes), the content.
  --    Everything committed before v_flushed is in what the peek returns, unless max_changes cut
  --    it short.
  -- (Window functions, not joins: the planner cannot estimate the peek's rows, and a nested loop
  -- over them was quadratic.)
  with changes as (
    select c.lsn, c.xid::text::bigint as xid, c.data, c.n,
           max(c.lsn) filter (where pg_catalog.get_byte(c.data, 0) = 67) over (partition by c.xid::text::bigint) as end_lsn
    from pg_catalog.pg_logical_slot_peek_binary_changes(v_state.slot_name, null, max_changes,
      'proto_version', '1', 'publication_names', 'whodunit_capture', 'messages', 'true') with ordinality as c(lsn, xid, data, n)
  ), ours as (
    -- A transaction already ingested (the slot may restart at the end of the last one) is skipped.
    select k.n, k.xid, k.data, position('\x00'::bytea in substring(k.data from 11)) as prefix_len
    from changes k
    where pg_catalog.get_byte(k.data, 0) = 77 and pg_catalog.get_byte(k.data, 1) = 1
      and substring(k.data from 11 for 9) = '\x77686f64756e69742e'::bytea -- 'whodunit.'
      and (v_state.ingested_lsn is null or k.end_lsn > v_state.ingested_lsn)
  ), kept as (
    insert into whodunit_messages (n, xid, kind, body)
    select o.n, o.xid, pg_catalog.convert_from(substring(o.data from 11 for o.prefix_len - 1), 'UTF8'),
           substring(o.data from 11 + o.prefix_len + 4)
    from ours o
  )
  select max(c.lsn) filter (where pg_catalog.get_byte(c.data, 0) = 67), count(*) into v_upto, v_changes from changes c;
  if v_changes < max_changes then
    v_upto := greatest(v_upto, v_flushed); -- read to the end: nothing committed before v_flushed is left
  end if;

  -- A transaction whose messages cannot be read (a bug, or a row this version cannot read back)
  -- must not stop the trail: the batch is read again one transaction at a time, and the one
  -- that fails alone is kept whole, as evidence, in a critical security event, then passed.
  begin
    -- 2. Statements, cut by the meta length and the first \x1f; who ran it is the transaction's
    --    latest context message before the statement.
    insert into whodunit_statements (n, xid, op, meta, session, context, row_count, rows)
    select m.n, m.xid, pg_catalog.upper(substring(m.kind from 10)), x.meta, x.session,
           pg_catalog.convert_from(c.body, 'UTF8')::jsonb, (x.session ->> 5)::bigint, x.rows
    from (
      -- One pass, not a look-up per statement: the newest context message so far in each transaction.
      select w.*, max(w.n) filter (where w.kind = 'whodunit.context') over (partition by w.xid order by w.n) as context_n
      from whodunit_messages w
    ) as m
    left join whodunit_messages c on c.n = m.context_n
    -- (Guarded: only statement messages start with the meta length, whatever order the planner picks.)
    cross join lateral (
      select case when m.kind like 'whodunit.%' and m.kind not in ('whodunit.context', 'whodunit.ddl')
                  then pg_catalog.convert_from(substring(m.body for 8), 'UTF8')::integer end as len
    ) as l
    cross join lateral (select substring(m.body from 9 + l.len) as rest) as r
    cross join lateral (select position('\x1f'::bytea in r.rest) as sep) as p
    cross join lateral (
      select pg_catalog.convert_from(substring(m.body from 9 for l.len), 'UTF8')::jsonb as meta,
             pg_catalog.convert_from(substring(r.rest for p.sep - 1), 'UTF8')::jsonb as session,
             pg_catalog.convert_from(substring(r.rest from p.sep + 1), 'UTF8') as rows
    ) as x
    where m.kind in ('whodunit.insert', 'whodunit.update', 'whodunit.delete', 'whodunit.truncate');

    -- 3. Rows, read back with the table's shape as JSON, sensitive columns hashed. An UPDATE keeps
    --    only the changed columns, and a row whose values did not change is dropped. Each row is
    --    read once (MATERIALIZED: inlined, the old row was read again for every column compared).
    select s.hash_salt, s.mass_change_rows into v_salt, v_mass from audit.settings s;
    with split as materialized (
      select s.n, s.op, s.row_count, m.shape, m.nonkey, m.sensitive,
             audit.split_rows(s.rows, case when s.op = 'UPDATE' then 2 * s.row_count else s.row_count end, m.shape) as parts
      from whodunit_statements s
      cross join lateral (
        select (s.meta ->> 'shape')::oid as shape,
               array(select pg_catalog.jsonb_array_elements_text(s.meta -> 'nonkey')) as nonkey,
               array(select pg_catalog.jsonb_array_elements_text(s.meta -> 'sensitive')) as sensitive
      ) as m
      where s.op in ('INSERT', 'UPDATE', 'DELETE')
    ), read_back as materialized (
      -- An UPDATE's message holds its old rows, then its new rows: two halves, zipped by unnest.
      -- (Never parts[i]: subscripting an array of texts walks it from the start, so a 100,000-row
      -- statement took minutes.)
      select p.n, p.op, x.ord, p.nonkey, p.sensitive,
             case when p.op <> 'INSERT' then pg_catalog.to_jsonb(pg_catalog.record_in(x.first::cstring, p.shape, -1)) end as oj,
             case p.op when 'INSERT' then pg_catalog.to_jsonb(pg_catalog.record_in(x.first::cstring, p.shape, -1))
                       when 'UPDATE' then pg_catalog.to_jsonb(pg_catalog.record_in(x.second::cstring, p.shape, -1))
             end as nj
      from split p
      cross join lateral unnest(
        case when p.op = 'UPDATE' then p.parts[1:p.row_count] else p.parts end,
        case when p.op = 'UPDATE' then p.parts[p.row_count + 1:] end
      ) with ordinality as x(first, second, ord)
    ), masked as materialized (
      select r.n, r.op, r.ord, r.nonkey,
             case when pg_catalog.cardinality(r.sensitive) > 0 then audit.mask(r.oj, r.sensitive, v_salt) else r.oj end as oj,
             case when pg_catalog.cardinality(r.sensitive) > 0 then audit.mask(r.nj, r.sensitive, v_salt) else r.nj end as nj
      from read_back r
    )
    insert into whodunit_rows (n, ord, record_pk, old_values, new_values, changed_columns)
    select q.n, q.ord, coalesce(q.oj, q.nj) - q.nonkey, q.oj, q.nj, null
    from masked q where q.op <> 'UPDATE'
    union all
    select q.n, q.ord, q.oj - q.nonkey, d.old_values, d.new_values, d.cols
    from masked q
    cross join lateral (
      select pg_catalog.array_agg(e.key order by e.key) as cols,
             pg_catalog.jsonb_object_agg(e.key, q.oj -> e.key) as old_values,
             pg_catalog.jsonb_object_agg(e.key, e.value) as new_values
      from pg_catalog.jsonb_each(q.nj) as e
      where e.value is distinct from q.oj -> e.key
    ) as d
    where q.op = 'UPDATE' and d.cols is not null;

    -- A statement counts the rows it really changed (an UPDATE's unchanged rows are gone).
    update whodunit_statements s set row_count = coalesce(c.changed, 0)
    from whodunit_statements u
    left join (select r.n, count(*) as changed from whodunit_rows r group by r.n) as c on c.n = u.n
    where u.n = s.n and s.op = 'UPDATE';

    -- 4. Ids, in the order things happened: a statement, then its rows (a one-row statement holds
    --    its row itself; a TRUNCATE has one marker row), DDL where it came. Taken after this
    --    transaction has its xid (see audit.seal()), which also dates the writers' 32-bit xids.
    v_xid8 := pg_catalog.pg_current_xact_id()::text::bigint;
    insert into whodunit_ids (n, ord, id)
    select q.n, q.ord, pg_catalog.nextval('audit.record_id_seq')
    from (
      select s.n, 0::bigint as ord from whodunit_statements s where s.row_count > 0 or s.op = 'TRUNCATE'
      union all
      select r.n, r.ord from whodunit_rows r join whodunit_statements s on s.n = r.n where s.row_count > 1
      union all
      select s.n, 1 from whodunit_statements s where s.op = 'TRUNCATE'
      union all
      select m.n, 0 from whodunit_messages m where m.kind = 'whodunit.ddl'
      order by 1, 2
    ) as q;

    with v as materialized ( -- not inlined: each (v.s).field would rebuild the row
      select row(i.id, (s.session ->> 0)::timestamptz, audit.full_xid(s.xid, v_xid8), s.meta ->> 'schema', s.meta ->> 'table',
               s.op, s.row_count, nullif(s.context ->> 0, ''), nullif(s.context ->> 1, ''), nullif(s.context ->> 2, ''),
               (nullif(s.context ->> 3, ''))::inet, nullif(s.context ->> 4, ''), nullif(s.context ->> 5, ''),
               s.session ->> 1, (s.session ->> 2)::inet, nullif(s.session ->> 3, ''), (s.session ->> 4)::integer,
               -- A table with sensitive columns: the query text may spell their values as literals.
               case when pg_catalog.jsonb_array_length(s.meta -> 'sensitive') > 0
                 then pg_catalog.regexp_replace(pg_catalog.regexp_replace(s.session ->> 6,
                        '''([^'']|'''')*''', '''?''', 'g'), '\m[0-9]+(\.[0-9]+)?\M', '?', 'g')
                 else s.session ->> 6 end,
               null::bytea, r.record_pk, r.old_values, r.new_values, r.changed_columns,
               case when r.n is not null then audit.row_key(s.meta ->> 'schema', s.meta ->> 'table', r.record_pk) end
             )::audit.statements as s
      from whodunit_statements s
      join whodunit_ids i on i.n = s.n and i.ord = 0
      left join whodunit_rows r on r.n = s.n and s.row_count = 1 and s.op <> 'TRUNCATE'
    )
    insert into audit.statements (id, occurred_at, tx_id, table_schema, table_name, operation, rows, app_user_id, app_username,
      correlation_id, client_ip, user_agent, request, db_user, client_addr, application_name, backend_pid, statement,
      content_hash, record_pk, old_values, new_values, changed_columns, row_key)
    select (v.s).id, (v.s).occurred_at, (v.s).tx_id, (v.s).table_schema, (v.s).table_name, (v.s).operation, (v.s).rows,
           (v.s).app_user_id, (v.s).app_username, (v.s).correlation_id, (v.s).client_ip, (v.s).user_agent, (v.s).request,
           (v.s).db_user, (v.s).client_addr, (v.s).application_name, (v.s).backend_pid, (v.s).statement,
           audit.statement_hash(v.s), (v.s).record_pk, (v.s).old_values, (v.s).new_values, (v.s).changed_columns, (v.s).row_key
    from v;
    get diagnostics v_count = row_count;
    v_written := v_written + v_count;

    -- Rows of statements of two or more rows, and the marker row of each TRUNCATE.
    with v as (
      select ri.id, (s.session ->> 0)::timestamptz as occurred_at, si.id as statement_id, s.meta ->> 'schema' as table_schema,
             s.meta ->> 'table' as table_name, s.op as operation, r.record_pk, r.old_values, r.new_values, r.changed_columns
      from whodunit_rows r
      join whodunit_statements s on s.n = r.n and s.row_count > 1
      join whodunit_ids si on si.n = s.n and si.ord = 0
      join whodunit_ids ri on ri.n = r.n and ri.ord = r.ord
      union all
      select ti.id, (s.session ->> 0)::timestamptz, si.id, s.meta ->> 'schema', s.meta ->> 'table', 'TRUNCATE', null, null, null, null
      from whodunit_statements s
      join whodunit_ids si on si.n = s.n and si.ord = 0
      join whodunit_ids ti on ti.n = s.n and ti.ord = 1
      where s.op = 'TRUNCATE'
    )
    insert into audit.changed_rows (id, occurred_at, statement_id, table_schema, table_name, operation, record_pk, old_values,
      new_values, changed_columns, content_hash, row_key)
    select v.id, v.occurred_at, v.statement_id, v.table_schema, v.table_name, v.operation, v.record_pk, v.old_values, v.new_values,
           v.changed_columns,
           audit.changed_row_hash(v.id, v.occurred_at, v.statement_id, v.table_schema, v.table_name, v.operation, v.record_pk,
                                  v.old_values, v.new_values, v.changed_columns),
           audit.row_key(v.table_schema, v.table_name, v.record_pk)
    from v;
    get diagnostics v_count = row_count;
    v_written := v_written + v_count;

    -- DDL (content_hash is set by the table's trigger).
    insert into audit.ddl_changes (id, occurred_at, tx_id, command_tag, object_type, schema_name, object_identity, app_user_id,
      app_username, correlation_id, client_ip, user_agent, request, db_user, client_addr, application_name, backend_pid, statement)
    select i.id, (j ->> 'occurred_at')::timestamptz, audit.full_xid(m.xid, v_xid8), j ->> 'command_tag', j ->> 'object_type',
           j ->> 'schema_name', j ->> 'object_identity', j ->> 'app_user_id', j ->> 'app_username', j ->> 'correlation_id',
           (j ->> 'client_ip')::inet, j ->> 'user_agent', j ->> 'request', j ->> 'db_user', (j ->> 'client_addr')::inet,
           j ->> 'application_name', (j ->> 'backend_pid')::integer, j ->> 'statement'
    from whodunit_messages m
    join whodunit_ids i on i.n = m.n and i.ord = 0
    cross join lateral (select pg_catalog.convert_from(m.body, 'UTF8')::jsonb as j) as x
    where m.kind = 'whodunit.ddl'
    order by i.id;
    get diagnostics v_count = row_count;
    v_written := v_written + v_count;

    -- 5. Alerts, in the order things happened; NOTIFY is delivered when this transaction commits.
    for v_stmt in
      select st.* from whodunit_statements s
      join whodunit_ids i on i.n = s.n and i.ord = 0
      join audit.statements st on st.id = i.id and st.occurred_at = (s.session ->> 0)::timestamptz
      where s.op = 'TRUNCATE' or (s.op in ('DELETE', 'UPDATE') and s.row_count >= greatest(v_mass, 2))
      order by i.id
    loop
      perform audit.alert(case v_stmt.operation when 'TRUNCATE' then 'truncate' when 'DELETE' then 'mass_delete' else 'mass_update' end, v_stmt);
    end loop;
    for v_ddl in
      select d.* from whodunit_messages m
      join whodunit_ids i on i.n = m.n and i.ord = 0
      join audit.ddl_changes d on d.id = i.id and d.occurred_at = (pg_catalog.convert_from(m.body, 'UTF8')::jsonb ->> 'occurred_at')::timestamptz
      where m.kind = 'whodunit.ddl' and d.command_tag like 'DROP %'
      order by d.id
    loop
      perform pg_catalog.pg_notify('whodunit_alert', pg_catalog.json_build_object(
        'kind', 'drop', 'table', v_ddl.object_identity, 'operation', v_ddl.command_tag, 'rows', null,
        'app_user_id', v_ddl.app_user_id, 'app_username', v_ddl.app_username, 'correlation_id', v_ddl.correlation_id,
        'client_ip', v_ddl.client_ip, 'db_user', v_ddl.db_user, 'application_name', pg_catalog.left(v_ddl.application_name, 100),
        'tx_id', v_ddl.tx_id, 'ddl_change_id', v_ddl.id, 'time', v_ddl.occurred_at)::text);
    end loop;
  exception when others then
    get stacked diagnostics v_error = message_text, v_sqlstate = returned_sqlstate;
    if (select count(distinct m.xid) from whodunit_messages m) > 1 then
      delete from whodunit_messages;
      delete from whodunit_statements;
      delete from whodunit_rows;
      delete from whodunit_ids;
      return audit.ingest(1);
    end if;
    insert into audit.security_events (type, severity, details)
    select 'capture_unreadable', 'critical', pg_catalog.jsonb_build_object(
             'error', v_error, 'sqlstate', v_sqlstate, 'tx_id', audit.full_xid(min(m.xid), pg_catalog.pg_current_xact_id()::text::bigint),
             'messages', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('kind', m.kind,
               'body', pg_catalog.left(pg_catalog.encode(m.body, 'escape'), 1000000)) order by m.n))
    from whodunit_messages m;
    raise warning 'audit.ingest: a captured transaction could not be read (%): kept in audit.security_events (capture_unreadable) and passed', v_error;
    v_written := 1;
  end;

  -- 6. Remember how far, also when nothing was written: the next call then decodes only the WAL
  --    written since (a forensic function calls ingest every time; WAL it had read before would
  --    be read again).
  if v_upto is not null and v_upto > coalesce(v_state.ingested_lsn, '0/0'::pg_lsn) then
    update audit.capture_state set ingested_lsn = v_upto, ingested_at = pg_catalog.clock_timestamp();
    -- Each call decodes from the slot's restart point, which only moves past a snapshot of the
    -- running transactions in the WAL: the background writer logs one every 15 s while there is
    -- activity, so a call may decode up to 15 s of WAL again. PostgreSQL 16+ can log one now
    -- (cheap), so the next call starts about here.
    if pg_catalog.to_regprocedure('pg_catalog.pg_log_standby_snapshot()') is not null then
      execute 'select pg_catalog.pg_log_standby_snapshot()';
    end if;
  end if;
  return v_written;
end $$;
comment on function audit.ingest(integer) is 'Turns committed capture messages into audit rows (statements, row changes, TRUNCATEs, DDL) and sends their whodunit_alert notifications; returns the number of audit rows written. Reads at most about max_changes messages (whole transactions). The collector calls it continuously; every forensic function calls it first. Safe to call concurrently (one runs at a time) and to roll back (the same messages are read again).';

-- Every forensic function starts here: so its answer includes everything committed before the call.
create or replace function audit.log_access(function_name text, arguments jsonb) returns void
language plpgsql volatile as $$
begin
  perform audit.ingest();
  insert into audit.access_log (app_username, function_name, arguments)
  values (nullif(pg_catalog.current_setting('whodunit.username', true), ''), log_access.function_name, log_access.arguments);
end $$;
comment on function audit.log_access(text, jsonb) is 'Internal: brings the trail up to date (audit.ingest()) and records a call of a forensic function in audit.access_log.';

-- Dated like the row changes of their transaction: by the statement that wrote them.
alter table audit.events alter column occurred_at set default pg_catalog.statement_timestamp();
alter table audit.security_events alter column occurred_at set default pg_catalog.statement_timestamp();
comment on column audit.statements.occurred_at is 'When the statement started (statement_timestamp()); before migration 011, when its transaction started.';
comment on column audit.changed_rows.occurred_at is 'When the statement started, as in audit.statements.';
comment on column audit.ddl_changes.occurred_at is 'When the DDL statement started (before migration 011: its transaction).';
comment on column audit.row_changes.occurred_at is 'When the statement started.';
comment on column audit.events.occurred_at is 'When the action happened (default: when the statement that wrote it started).';
comment on column audit.security_events.occurred_at is 'When it happened (default: when the statement that wrote it started).';

grant execute on function audit.ingest(integer), audit.capture_status() to whodunit_writer, whodunit_admin;
grant execute on function audit.capture_status() to whodunit_reader;
grant execute on function audit.start_capture() to whodunit_admin;
