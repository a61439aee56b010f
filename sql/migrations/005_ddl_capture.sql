-- 005: DDL on tables (CREATE, ALTER, DROP), recorded by event triggers with the transaction's
-- context; every DROP of a table alerts. Tables of schema audit itself are not recorded, and are
-- only dropped by audit.apply_retention().

create function audit.capture_ddl() returns event_trigger
language plpgsql security definer set search_path = '' as $$
declare
  r record;
begin
  for r in
    select * from pg_catalog.pg_event_trigger_ddl_commands()
    where object_type = 'table' and schema_name is distinct from 'audit' and schema_name !~ '^pg_temp' and not in_extension
  loop
    insert into audit.ddl_changes (command_tag, object_type, schema_name, object_identity, app_user_id, app_username,
                                   correlation_id, client_ip, user_agent, request)
    values (r.command_tag, r.object_type, r.schema_name, r.object_identity, audit.context_value('user_id'),
            audit.context_value('username'), audit.context_value('correlation_id'),
            audit.context_value('client_ip')::inet, audit.context_value('user_agent'), audit.context_value('request'));
    -- Keep the capture triggers in step with the columns (key and sensitive columns are resolved there).
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
comment on function audit.capture_ddl() is 'Internal event trigger (ddl_command_end): records CREATE/ALTER TABLE in audit.ddl_changes and keeps the capture triggers of audited tables up to date.';

create function audit.capture_drop() returns event_trigger
language plpgsql security definer set search_path = '' as $$
declare
  r record;
  v audit.ddl_changes;
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
    insert into audit.ddl_changes (command_tag, object_type, schema_name, object_identity, app_user_id, app_username,
                                   correlation_id, client_ip, user_agent, request)
    values (tg_tag, r.object_type, r.schema_name, r.object_identity, audit.context_value('user_id'),
            audit.context_value('username'), audit.context_value('correlation_id'),
            audit.context_value('client_ip')::inet, audit.context_value('user_agent'), audit.context_value('request'))
    returning * into v;
    delete from audit.tracking where relid = r.objid;
    perform pg_catalog.pg_notify('whodunit_alert', pg_catalog.json_build_object(
      'kind', 'drop', 'table', r.object_identity, 'operation', tg_tag, 'rows', null,
      'app_user_id', v.app_user_id, 'app_username', v.app_username, 'correlation_id', v.correlation_id,
      'client_ip', v.client_ip, 'db_user', v.db_user, 'application_name', pg_catalog.left(v.application_name, 100),
      'tx_id', v.tx_id, 'ddl_change_id', v.id, 'time', v.occurred_at)::text);
  end loop;
end $$;
comment on function audit.capture_drop() is 'Internal event trigger (sql_drop): records every dropped table in audit.ddl_changes, alerts (kind drop), and refuses DROP of audit tables outside audit.apply_retention().';

create event trigger whodunit_ddl on ddl_command_end
  when tag in ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
  execute function audit.capture_ddl();
create event trigger whodunit_drop on sql_drop
  when tag in ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
  execute function audit.capture_drop();
comment on event trigger whodunit_ddl is 'whodunit: records CREATE/ALTER TABLE in audit.ddl_changes.';
comment on event trigger whodunit_drop is 'whodunit: records dropped tables in audit.ddl_changes and alerts.';
