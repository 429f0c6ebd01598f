#!/usr/bin/env bash
# A throwaway PostgreSQL cluster under .hongbao/pg for development and tests.
#   scripts/pg.sh start   create (once) and start it on a free port; prints DATABASE_URL
#   scripts/pg.sh stop    stop it (fast shutdown)
#   scripts/pg.sh url     print DATABASE_URL of the running cluster
#   scripts/pg.sh env     print `export DATABASE_URL=…` (for eval)
#   scripts/pg.sh restart stop and start again on the same port (tests)
# HONGBAO_PG_DIR picks another cluster directory (default .hongbao/pg).
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)/.hongbao"
PGDIR="${HONGBAO_PG_DIR:-$ROOT/pg}"
DATA="$PGDIR/data"
SOCK="$PGDIR"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found; run scripts/deps.sh" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        # Run as postgres from a directory it can read.
        (cd / && su postgres -s /bin/bash -c "$(printf '%q ' "$@")")
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

url() {
    local port; port="$(cat "$PGDIR/port")"
    echo "postgresql://hongbao@127.0.0.1:${port}/hongbao"
}

case "${1:-}" in
start)
    mkdir -p "$PGDIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDIR"; chmod 755 "$ROOT" "$PGDIR"; fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
log_min_messages = warning
CONF
    fi
    if as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        url; exit 0
    fi
    # Same port as last time when there was one (clients keep their URL across restarts).
    port="$(cat "$PGDIR/port" 2>/dev/null || true)"
    [ -n "$port" ] || port="$(free_port)"
    echo "$port" > "$PGDIR/port"
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -o "-p $port" -l "$DATA/server.log" -w -t 60 start >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc \
        "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='hongbao') THEN CREATE ROLE hongbao LOGIN SUPERUSER; END IF; END\$\$;" >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='hongbao'" | grep -q 1 \
        || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE hongbao OWNER hongbao" >/dev/null
    url
    ;;
stop)
    [ -f "$DATA/PG_VERSION" ] || exit 0
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    ;;
restart)
    # Used by tests: same data, same port.
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -o "-p $(cat "$PGDIR/port")" -l "$DATA/server.log" restart >/dev/null
    ;;
url) url ;;
env) echo "export DATABASE_URL=$(url)" ;;
*) echo "usage: $0 start|stop|restart|url|env" >&2; exit 2 ;;
esac
