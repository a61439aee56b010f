-- 008: privileges. Nothing for PUBLIC; three roles, each with only what its job needs.
-- No role gets UPDATE, DELETE or TRUNCATE on any audit table (and triggers refuse them anyway).

revoke all on all tables in schema audit from public;
revoke all on all sequences in schema audit from public;
revoke all on all functions in schema audit from public;

grant usage on schema audit to whodunit_reader, whodunit_writer, whodunit_admin;
grant whodunit_reader to whodunit_admin;

-- Reader: the forensic functions and the read-only views/tables.
grant select on audit.row_changes, audit.statements, audit.ddl_changes, audit.events, audit.security_events,
  audit.access_log, audit.seals, audit.retention_runs, audit.schema_migrations to whodunit_reader;
grant select (singleton, mass_change_rows, retention, partitions_ahead) on audit.settings to whodunit_reader;
grant execute on function
  audit.who_changed(text, text), audit.who_changed(regclass, text), audit.user_activity(text, timestamptz, timestamptz),
  audit.mass_deletes(timestamptz, integer), audit.timeline(text), audit.verify_chain(timestamptz, timestamptz),
  audit.tracked_tables(), audit.set_context(text, text, text, inet, text, text)
  to whodunit_reader;

-- Writer (the collector, and applications): request context, application and security events,
-- sealing and partition upkeep.
grant execute on function audit.set_context(text, text, text, inet, text, text), audit.seal(), audit.maintain(),
  audit.next_record_id() to whodunit_writer;
grant insert (occurred_at, action, resource_type, resource_id, user_id, username, ip, arguments, result, success,
              duration_ms, correlation_id) on audit.events to whodunit_writer;
grant insert (occurred_at, type, severity, user_id, username, ip, details, correlation_id)
  on audit.security_events to whodunit_writer;

-- Admin: what to audit, and retention.
grant execute on function audit.enable(regclass), audit.disable(regclass), audit.enable_schema(text),
  audit.set_sensitive(regclass, text[]), audit.apply_retention(), audit.maintain(), audit.seal() to whodunit_admin;
grant update (mass_change_rows, retention, partitions_ahead) on audit.settings to whodunit_admin;
