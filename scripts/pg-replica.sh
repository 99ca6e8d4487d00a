#!/usr/bin/env bash
# Makes sure a PostgreSQL streaming replica of the local cluster answers on 127.0.0.1:5433
# (the replica tests and `--replica-url` need one). The first time, it allows replication
# connections from this machine on the primary, copies the primary with pg_basebackup and
# starts the copy as a hot standby; later runs only start it if it stopped.
# Needs root (it runs PostgreSQL's tools as the postgres user). Prints the replica's port.
set -euo pipefail
port="${REPLICA_PORT:-5433}"
dir="${REPLICA_DIR:-/var/lib/postgresql/yh-replica}"
if pg_isready -h 127.0.0.1 -p "$port" -q 2>/dev/null; then
  echo "$port"
  exit 0
fi
bin="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -1)/bin"
as_pg() { runuser -u postgres -- "$@"; }
if [ ! -f "$dir/standby.signal" ]; then
  hba="$(psql -h 127.0.0.1 -U postgres -Atqc 'show hba_file')"
  if ! grep -qE '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
    echo "host replication all 127.0.0.1/32 trust" >>"$hba"
    psql -h 127.0.0.1 -U postgres -Atqc 'select pg_reload_conf()' >/dev/null
  fi
  rm -rf "$dir"
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p 5432 -U postgres -D "$dir" -R -X stream -c fast >&2
  # The Debian primary keeps its configuration outside the data directory: give the copy its own.
  cat >"$dir/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
max_connections = 200
shared_buffers = 128MB
# Queries on the replica may run long (reports); let replay wait for them a while.
max_standby_streaming_delay = 30s
hot_standby_feedback = on
EOF
  cat >"$dir/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
  chown postgres:postgres "$dir/postgresql.conf" "$dir/pg_hba.conf"
fi
as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >&2
echo "$port"
