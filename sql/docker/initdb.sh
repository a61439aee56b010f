#!/usr/bin/env bash
# whodunit: applies sql/migrations at the first start of the official postgres image.
# Mount it into /docker-entrypoint-initdb.d/ and the migrations at /whodunit/migrations:
#   - ./sql/migrations:/whodunit/migrations:ro
#   - ./sql/docker/initdb.sh:/docker-entrypoint-initdb.d/10-whodunit.sh:ro
# Each migration runs in one transaction and is recorded in audit.schema_migrations with the
# sha256 of the file, exactly as `npm run db:migrate` records it, so that a later db:migrate finds
# nothing to do (and refuses an edited migration the same way).
# The entrypoint sources *.sh files that are not executable: everything runs in a subshell so that
# neither our shell options nor an early return leak into it.

whodunit_initdb() (
  set -euo pipefail
  local dir="${WHODUNIT_MIGRATIONS_DIR:-/whodunit/migrations}"
  local user="${POSTGRES_USER:-postgres}"
  local db="${POSTGRES_DB:-$user}"
  local psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$user" --dbname "$db")
  local file name sum recorded applied script=""

  if [[ ! -d "$dir" ]]; then
    echo "whodunit initdb: no migrations folder at $dir (mount ./sql/migrations there)" >&2
    return 1
  fi
  # "<filename> <checksum>" per applied migration; nothing on a fresh database (no table yet).
  applied="$("${psql[@]}" -tA -F ' ' -c 'select filename, checksum from audit.schema_migrations' 2>/dev/null || true)"
  for file in "$dir"/*.sql; do
    name="$(basename "$file")"
    # Same pattern as sql/src/migrations.ts.
    [[ "$name" =~ ^[0-9]{3}_[a-z0-9_]+\.sql$ ]] || continue
    sum="$(sha256sum "$file" | cut -d' ' -f1)"
    recorded="$(awk -v n="$name" '$1 == n { print $2 }' <<<"$applied")"
    if [[ -n "$recorded" ]]; then
      if [[ "$recorded" != "$sum" ]]; then
        echo "whodunit initdb: migration $name was edited after it was applied (recorded $recorded, file $sum)" >&2
        return 1
      fi
      continue
    fi
    echo "whodunit initdb: applying $name"
    # One transaction per migration, as the TypeScript migrator does; psql starts once (it is slow to).
    script+="begin;"$'\n'"$(cat "$file")"$'\n'";"$'\n'
    script+="insert into audit.schema_migrations (filename, checksum) values ('$name', '$sum');"$'\n'"commit;"$'\n'
  done
  script+="select count(*) from audit.maintain();"$'\n'
  "${psql[@]}" -tA -f - <<<"$script" >/dev/null
  # The capture slot is created in a transaction of its own (PostgreSQL requires it); the server
  # must run with wal_level=logical (the compose service passes -c wal_level=logical).
  "${psql[@]}" -tA -c 'select audit.start_capture()' >/dev/null
  echo "whodunit initdb: audit schema ready"
)

whodunit_initdb
