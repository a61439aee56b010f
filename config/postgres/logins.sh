#!/usr/bin/env bash
# whodunit: the database logins of the compose stack, created at the first start of the official
# postgres image, right after sql/docker/initdb.sh (10-whodunit.sh) has applied the migrations:
#   - ./config/postgres/logins.sh:/docker-entrypoint-initdb.d/20-whodunit-logins.sh:ro
#
#   whodunit_grafana   Grafana's "PostgreSQL audit" datasource: member of whodunit_reader, so it
#                      reads the forensic API and nothing else. Password: WHODUNIT_GRAFANA_DB_PASSWORD.
#   whodunit_exporter  postgres-exporter: member of pg_monitor (statistics, no table data).
#                      Password: WHODUNIT_EXPORTER_DB_PASSWORD.
#   whodunit_collector the collector's postgres_audit source (config/collector/collector.yml):
#                      member of whodunit_reader (LISTEN, and the catch-up reads of
#                      audit.mass_deletes and audit.ddl_changes) and whodunit_writer
#                      (audit.ingest(), audit.seal(), audit.maintain()); no table data outside the
#                      audit API. Also: forensic calls skip their own ingest while the collector's
#                      is less than 2 s old (audit.settings.forensic_freshness).
#                      Password: WHODUNIT_COLLECTOR_DB_PASSWORD.
#
# The roles of sql/ (whodunit_reader, ...) are NOLOGIN on purpose: each client gets its own login,
# so the audit trail's db_user says which one acted. Passwords travel as psql variables, quoted by
# psql (:'name'), never pasted into SQL text. The entrypoint sources this file: everything runs in
# a subshell so our shell options do not leak into it.

whodunit_logins() (
  set -euo pipefail
  : "${WHODUNIT_GRAFANA_DB_PASSWORD:?is empty: set it in .env (see .env.example)}"
  : "${WHODUNIT_EXPORTER_DB_PASSWORD:?is empty: set it in .env (see .env.example)}"
  : "${WHODUNIT_COLLECTOR_DB_PASSWORD:?is empty: set it in .env (see .env.example)}"
  local user="${POSTGRES_USER:-postgres}"
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$user" --dbname "${POSTGRES_DB:-$user}" \
    -v grafana_password="$WHODUNIT_GRAFANA_DB_PASSWORD" \
    -v exporter_password="$WHODUNIT_EXPORTER_DB_PASSWORD" \
    -v collector_password="$WHODUNIT_COLLECTOR_DB_PASSWORD" <<'SQL'
create role whodunit_grafana login password :'grafana_password' in role whodunit_reader;
comment on role whodunit_grafana is 'Login of Grafana''s PostgreSQL datasource: reads the forensic API (whodunit_reader).';
create role whodunit_exporter login password :'exporter_password' in role pg_monitor;
comment on role whodunit_exporter is 'Login of postgres-exporter: server statistics only (pg_monitor).';
create role whodunit_collector login password :'collector_password' in role whodunit_reader, whodunit_writer;
comment on role whodunit_collector is 'Login of the collector''s postgres_audit source: LISTENs for audit alerts, reads missed ones (whodunit_reader), ingests the capture, seals and maintains the trail (whodunit_writer).';
-- The stack's collector ingests the capture every 250 ms: forensic calls need not do it themselves
-- while its last ingest is recent (sql/migrations/013; each of their own ingests costs ~80 ms).
update audit.settings set forensic_freshness = interval '2 seconds';
SQL
  echo "whodunit logins: whodunit_grafana, whodunit_exporter, whodunit_collector created"
)

whodunit_logins
