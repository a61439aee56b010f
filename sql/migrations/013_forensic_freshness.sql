-- 013: how fresh a forensic answer must be. Every forensic function ingests first (012), so it
-- answers with everything committed before the question; but each ingest decodes from the
-- capture slot, and every decoding call makes its backend drop its caches: the function then plans
-- every statement again, and with a real trail (a million rows, monthly partitions and their
-- indexes) a call took about 80 ms instead of 2. Where a collector ingests continuously (every 250
-- ms), an operator can let forensic calls skip their own ingest while the last one is recent.

alter table audit.settings add column forensic_freshness interval not null default interval '0 seconds'
  check (forensic_freshness >= interval '0 seconds');
comment on column audit.settings.forensic_freshness is 'Forensic functions run audit.ingest() first unless the last ingest committed less than this long ago. 0 (the default): always, so every answer includes everything committed before the question. The compose stack, whose collector ingests every 250 ms, sets 2 seconds.';

create or replace function audit.log_access(function_name text, arguments jsonb) returns void
language plpgsql volatile as $$
declare
  v_fresh interval;
  v_last timestamptz;
begin
  select s.forensic_freshness into v_fresh from audit.settings s;
  select c.ingested_at into v_last from audit.capture_state c;
  if v_fresh = interval '0 seconds' or v_last is null or v_last < pg_catalog.clock_timestamp() - v_fresh then
    perform audit.ingest();
  end if;
  insert into audit.access_log (app_username, function_name, arguments)
  values (nullif(pg_catalog.current_setting('whodunit.username', true), ''), log_access.function_name, log_access.arguments);
end $$;
comment on function audit.log_access(text, jsonb) is 'Internal: brings the trail up to date (audit.ingest(), see settings.forensic_freshness) and records a call of a forensic function in audit.access_log.';

grant select (forensic_freshness) on audit.settings to whodunit_reader;
grant update (forensic_freshness) on audit.settings to whodunit_admin;
