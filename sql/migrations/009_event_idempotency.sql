-- 009: idempotent writes of application and security events.
-- The collector's PostgreSQL sink replays what it had not acknowledged after a crash (its spool is
-- at-least-once). Each row it writes carries an idempotency key derived from the log entry (sha256 of
-- its timestamp, labels and line), and its INSERT says `on conflict do nothing`, so a replay adds
-- no row. (No conflict target: naming one needs SELECT on its columns, which the writer must not
-- have; the only other unique index, the primary key, holds a fresh id and never conflicts.)
-- A unique index on a partitioned table must contain the partition key; occurred_at is the entry's
-- own timestamp, part of the key's input, so the pair is as unique as the key.
-- Rows written without a key (NULL, e.g. by an application) never conflict.
--
-- The key is NOT part of content_hash (audit.event_hash, audit.security_event_hash stay as they are):
-- it records how a row was delivered, not what happened, so editing it cannot change what a row
-- says; and changing the hash functions would change the hash of every row already written and
-- sealed, which audit.verify_chain would then report as tampered. A writer cannot choose a row's
-- content hash either way (the trigger sets it), and UPDATE stays refused.

alter table audit.events add column idempotency_key text
  check (idempotency_key ~ '^[0-9a-f]{64}$');
alter table audit.security_events add column idempotency_key text
  check (idempotency_key ~ '^[0-9a-f]{64}$');

create unique index events_idempotency_idx on audit.events (idempotency_key, occurred_at);
create unique index security_events_idempotency_idx on audit.security_events (idempotency_key, occurred_at);

comment on column audit.events.idempotency_key is 'Delivery key set by the collector (sha256 hex of the log entry''s timestamp, labels and line): a replayed entry conflicts with the row it already wrote and is skipped. NULL for rows written without one. Not part of content_hash.';
comment on column audit.security_events.idempotency_key is 'Delivery key set by the collector (sha256 hex of the detection''s log entry: timestamp, labels but stream, line): a replayed entry conflicts with the row it already wrote and is skipped. NULL for rows written without one. Not part of content_hash.';
comment on index audit.events_idempotency_idx is 'Makes the collector''s writes idempotent: insert ... on conflict do nothing.';
comment on index audit.security_events_idempotency_idx is 'Makes the collector''s writes idempotent: insert ... on conflict do nothing.';

-- The writer (the collector) may set the key; nothing else changes in its privileges.
grant insert (idempotency_key) on audit.events, audit.security_events to whodunit_writer;
