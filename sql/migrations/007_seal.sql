-- 007: tamper evidence. Every audit row already carries the hash of its own content (written with
-- the row, so audited transactions never wait for each other). audit.seal() chains those hashes
-- in id order into audit.seals; audit.verify_chain() recomputes both.
--
-- What is sealed when: a seal() call records a watermark (the highest id handed out so far and its
-- own transaction id, taken just after). The next seal() call after every transaction that was running at that moment
-- has ended seals all rows up to that watermark. So a row is sealed by the second seal() call
-- after its transaction commits (the collector calls seal() every few seconds and ships each
-- seal's hash to Loki). Until then it is protected by its own content hash only.

create table audit.seals (
  seal_id bigint generated always as identity primary key,
  sealed_at timestamptz not null default now(),
  from_id bigint not null,
  to_id bigint not null check (to_id >= from_id),
  row_count bigint not null,
  prev_hash bytea not null,
  seal_hash bytea not null,
  watermark_id bigint not null,
  watermark_xmax xid8 not null
);
comment on table audit.seals is 'The hash chain: each seal covers the audit rows with from_id < id <= to_id and hashes the previous seal''s hash with their content hashes in id order.';
comment on column audit.seals.seal_id is 'Position in the chain.';
comment on column audit.seals.sealed_at is 'When the seal was made.';
comment on column audit.seals.from_id is 'Rows with an id greater than this are covered (exclusive).';
comment on column audit.seals.to_id is 'Rows with an id up to this are covered (inclusive).';
comment on column audit.seals.row_count is 'How many audit rows the seal covers.';
comment on column audit.seals.prev_hash is 'seal_hash of the previous seal (32 zero bytes for the first).';
comment on column audit.seals.seal_hash is 'sha256(prev_hash, to_id, content hashes of the covered rows in id order); shipped out of the database by the collector.';
comment on column audit.seals.watermark_id is 'Highest id handed out when the seal was made; the next seal covers up to it.';
comment on column audit.seals.watermark_xmax is 'Transaction id of the sealing transaction, taken after the watermark; the next seal waits until every older transaction has ended.';
comment on sequence audit.seals_seal_id_seq is 'Numbers the seals (identity of audit.seals.seal_id).';
create trigger append_only before update or delete on audit.seals for each row execute function audit.refuse_change();
create trigger append_only_truncate before truncate on audit.seals for each statement execute function audit.refuse_change();

create view audit.chained_rows as
select 'statements'::text as table_name, s.id, s.occurred_at, s.content_hash, audit.statement_hash(s) as computed_hash
from audit.statements s
union all
select 'changed_rows', c.id, c.occurred_at, c.content_hash,
       audit.changed_row_hash(c.id, c.occurred_at, c.statement_id, c.table_schema, c.table_name, c.operation, c.record_pk,
                              c.old_values, c.new_values, c.changed_columns)
from audit.changed_rows c
union all
select 'ddl_changes', d.id, d.occurred_at, d.content_hash, audit.ddl_change_hash(d) from audit.ddl_changes d
union all
select 'events', e.id, e.occurred_at, e.content_hash, audit.event_hash(e) from audit.events e
union all
select 'security_events', e.id, e.occurred_at, e.content_hash, audit.security_event_hash(e) from audit.security_events e
union all
select 'access_log', a.id, a.occurred_at, a.content_hash, audit.access_log_hash(a) from audit.access_log a;
comment on view audit.chained_rows is 'Every row under the hash chain, from all audit tables: its stored content hash and the hash of its content now.';
comment on column audit.chained_rows.table_name is 'Audit table holding the row.';
comment on column audit.chained_rows.id is 'Row id (chain order).';
comment on column audit.chained_rows.occurred_at is 'Row time.';
comment on column audit.chained_rows.content_hash is 'Hash stored when the row was written.';
comment on column audit.chained_rows.computed_hash is 'Hash of the row''s content now; differs from content_hash if the row was edited.';

create function audit.seal_digest(prev_hash bytea, to_id bigint, hashes bytea) returns bytea
language sql immutable parallel safe as $$
  select pg_catalog.sha256(prev_hash || pg_catalog.int8send(to_id) || coalesce(hashes, '\x'::bytea))
$$;
comment on function audit.seal_digest(bytea, bigint, bytea) is 'Internal: the seal hash of a range, from the previous seal hash and the concatenated row hashes.';

create function audit.seal()
returns table (seal_id bigint, sealed_at timestamptz, from_id bigint, to_id bigint, row_count bigint, seal_hash text)
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_last audit.seals;
  v_from bigint;
  v_to bigint;
  v_count bigint;
  v_hashes bytea;
  v_watermark bigint;
  v_xmax xid8;
  v_new audit.seals;
begin
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    raise exception 'audit.seal: run it in a READ COMMITTED transaction (it needs a fresh snapshot per step)'
      using errcode = 'invalid_transaction_state';
  end if;
  if pg_catalog.pg_current_xact_id_if_assigned() is not null then
    raise exception 'audit.seal: call it in a transaction of its own (it must take its transaction id itself)'
      using errcode = 'invalid_transaction_state';
  end if;
  -- One seal() at a time; audited writers never take this lock.
  lock table audit.seals in share row exclusive mode;
  select * into v_last from audit.seals s order by s.seal_id desc limit 1;
  if found and pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) < v_last.watermark_xmax then
    return; -- a transaction that may still write ids under the watermark is running: seal later
  end if;
  v_from := coalesce(v_last.to_id, 0);
  v_to := coalesce(v_last.watermark_id, 0);
  select count(*), pg_catalog.string_agg(c.content_hash, ''::bytea order by c.id) into v_count, v_hashes
  from audit.chained_rows c where c.id > v_from and c.id <= v_to;
  -- Read the watermark first, then take our own xid: every transaction holding an id <= watermark
  -- got its xid before that id, so before ours (xids are handed out in order).
  select case when q.is_called then q.last_value else q.last_value - 1 end into v_watermark from audit.record_id_seq q;
  v_xmax := pg_catalog.pg_current_xact_id();
  if v_last.seal_id is not null and v_count = 0 and v_watermark = v_last.watermark_id then
    return; -- nothing new
  end if;
  insert into audit.seals (from_id, to_id, row_count, prev_hash, seal_hash, watermark_id, watermark_xmax)
  values (v_from, v_to, v_count, coalesce(v_last.seal_hash, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex')),
          audit.seal_digest(coalesce(v_last.seal_hash, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex')), v_to, v_hashes),
          v_watermark, v_xmax)
  returning * into v_new;
  return query select v_new.seal_id, v_new.sealed_at, v_new.from_id, v_new.to_id, v_new.row_count, pg_catalog.encode(v_new.seal_hash, 'hex');
end $$;
comment on function audit.seal() is 'Extends the hash chain: seals every audit row up to the previous call''s watermark once all transactions that could still write below it have ended, and returns the new seal (nothing when there is nothing to seal yet). Call it often (the collector does, and ships seal_hash out of the database). Rows are sealed by the second call after their transaction commits.';

create function audit.verify_chain("from" timestamptz, "to" timestamptz)
returns table (kind text, table_name text, row_id bigint, occurred_at timestamptz, expected_hash text, found_hash text, detail text)
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_from timestamptz := coalesce("from", '-infinity');
  v_to timestamptz := coalesce("to", 'infinity');
  v_dropped bigint;
  v_prev bytea;
  v_seal audit.seals;
  v_count bigint;
  v_hashes bytea;
  v_found bytea;
begin
  perform audit.log_access('audit.verify_chain', pg_catalog.jsonb_build_object('from', "from", 'to', "to"));
  -- 1. Each row against its own hash: catches any edit, sealed or not.
  return query
  select 'row'::text, c.table_name, c.id, c.occurred_at, pg_catalog.encode(c.content_hash, 'hex'),
         pg_catalog.encode(c.computed_hash, 'hex'), 'row content does not match the hash written with it'::text
  from audit.chained_rows c
  where c.occurred_at >= v_from and c.occurred_at < v_to and c.content_hash is distinct from c.computed_hash
  order by c.id;

  -- 2. Each seal made since "from" against the rows it covers: catches rows edited together with
  --    their hash, deleted or inserted after sealing, and a rewritten seals table.
  select max(r.max_dropped_id) into v_dropped from audit.retention_runs r;
  for v_seal in select * from audit.seals s where s.sealed_at >= v_from order by s.seal_id loop
    select s.seal_hash into v_prev from audit.seals s where s.seal_id < v_seal.seal_id order by s.seal_id desc limit 1;
    v_prev := coalesce(v_prev, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'));
    if v_seal.prev_hash <> v_prev then
      return query select 'seal'::text, 'seals'::text, v_seal.seal_id, v_seal.sealed_at, pg_catalog.encode(v_prev, 'hex'),
        pg_catalog.encode(v_seal.prev_hash, 'hex'), 'seal does not link to the previous seal'::text;
    end if;
    continue when v_seal.from_id < v_dropped; -- its rows were partly removed by audit.apply_retention()
    select count(*), pg_catalog.string_agg(c.content_hash, ''::bytea order by c.id) into v_count, v_hashes
    from audit.chained_rows c where c.id > v_seal.from_id and c.id <= v_seal.to_id;
    v_found := audit.seal_digest(v_prev, v_seal.to_id, v_hashes);
    if v_found <> v_seal.seal_hash then
      return query select 'seal'::text, 'seals'::text, v_seal.seal_id, v_seal.sealed_at, pg_catalog.encode(v_seal.seal_hash, 'hex'),
        pg_catalog.encode(v_found, 'hex'),
        pg_catalog.format('rows with ids in (%s, %s] changed since sealing: %s rows now, %s when sealed',
                          v_seal.from_id, v_seal.to_id, v_count, v_seal.row_count);
    end if;
  end loop;
end $$;
comment on function audit.verify_chain(timestamptz, timestamptz) is 'Checks the audit trail for tampering: every row dated in [from, to) against its own content hash (edits caught whether sealed or not), and every seal made since "from" against the rows it covers and the previous seal. Returns one row per break (kind row or seal, which row or seal, expected and found hash) and no row when intact. NULL bounds are unbounded. Compare the seal hashes with those shipped to Loki to catch a rewrite of the whole chain.';
