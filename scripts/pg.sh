#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for development, tests and benchmarks.
#   scripts/pg.sh start    create (once) and start the cluster on a free port; prints its admin DATABASE_URL
#   scripts/pg.sh stop     stop it (fast shutdown)
#   scripts/pg.sh restart  stop and start again on the same port (tests)
#   scripts/pg.sh destroy  stop it and delete its files
#   scripts/pg.sh url      print the admin (superuser) DATABASE_URL of the running cluster
#   scripts/pg.sh app-url  the gateway's least-privilege role (a member of hongbao_app): serve and the CLI
#   scripts/pg.sh owner-url the database owner: migrate (MIGRATE_DATABASE_URL)
#   scripts/pg.sh env      print `export DATABASE_URL=…` (for eval)
#   scripts/pg.sh dir      print the cluster's directory
# HONGBAO_PG_NAME names the cluster (default dev; make test uses test, make bench bench),
# so a test run never stops the cluster `make run` is using. HONGBAO_PG_DIR overrides the
# directory altogether.
# Where clusters live: .hongbao/pg/<name> in the project — except as root. initdb refuses
# to run as root, so the cluster belongs to `postgres`, which cannot enter a 0700 home
# (root's, on Debian); as root the cluster therefore lives in a postgres-owned directory
# under /var/tmp keyed by the project's path, so every clone gets its own.
# The dev cluster's URL is also written to .hongbao/dev-database-url, which the hongbao
# CLI uses from this folder when neither DATABASE_URL nor PG* is set (a second terminal).
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT="$(pwd)"
ROOT="$PROJECT/.hongbao"
NAME="${HONGBAO_PG_NAME:-dev}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found; run scripts/deps.sh" >&2; exit 1; }

as_root() { [ "$(id -u)" -eq 0 ]; }

if [ -n "${HONGBAO_PG_DIR:-}" ]; then
    PGDIR="$HONGBAO_PG_DIR"
elif as_root; then
    key="$(printf '%s' "$PROJECT" | sha256sum | cut -c1-12)"
    PGDIR="/var/tmp/hongbao-pg-$key/$NAME"
else
    PGDIR="$ROOT/pg/$NAME"
fi
DATA="$PGDIR/data"
SOCK="$PGDIR"

as_owner() {
    if as_root; then
        # Run as postgres from a directory it can read.
        (cd / && su postgres -s /bin/bash -c "$(printf '%q ' "$@")")
    else
        "$@"
    fi
}

# A free TCP port on 127.0.0.1, without python: a port that refuses a connection is free.
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    echo "no free port found" >&2
    return 1
}

url() {
    local role="${1:-hongbao}" port; port="$(cat "$PGDIR/port")"
    echo "postgresql://${role}@127.0.0.1:${port}/hongbao"
}

prepare_dirs() {
    mkdir -p "$PGDIR"
    if as_root; then
        local parent; parent="$(dirname "$PGDIR")"
        chown postgres "$PGDIR"
        # The parent is only created here for the /var/tmp layout; keep it private to postgres and root.
        if [ -z "${HONGBAO_PG_DIR:-}" ]; then chown postgres "$parent"; chmod 700 "$parent"; fi
    fi
}

case "${1:-}" in
start)
    prepare_dirs
    if [ ! -f "$DATA/PG_VERSION" ]; then
        # Trust authentication on 127.0.0.1: for this throwaway development and test cluster
        # only (any local user may connect as any role). Never a production setting;
        # docs/operations.md describes roles with passwords or certificates instead.
        as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
max_connections = 600
shared_buffers = 256MB
fsync = on
synchronous_commit = on
log_min_messages = warning
CONF
    fi
    if ! as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        # Same port as last time when there was one (clients keep their URL across restarts).
        port="$(cat "$PGDIR/port" 2>/dev/null || true)"
        [ -n "$port" ] || port="$(free_port)"
        echo "$port" > "$PGDIR/port"
        for attempt in 1 2 3; do
            as_owner "$PGBIN/pg_ctl" -D "$DATA" -o "-p $port" -l "$DATA/server.log" -w -t 60 start >/dev/null && break
            if [ "$attempt" -eq 3 ]; then
                echo "PostgreSQL did not start; the end of $DATA/server.log:" >&2
                tail -n 5 "$DATA/server.log" >&2 || true
                exit 1
            fi
            # Most likely the port was taken between free_port's check and the bind: another one.
            port="$(free_port)"
            echo "$port" > "$PGDIR/port"
        done
    fi
    port="$(cat "$PGDIR/port")"
    # Roles: hongbao (superuser: tests and benchmarks create databases with it),
    # hongbao_owner (owns the database, runs migrations), hongbao_gateway (logs in as a
    # member of the NOLOGIN group hongbao_app: serve and every other command).
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtA >/dev/null <<'SQL'
DO $$BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hongbao') THEN CREATE ROLE hongbao LOGIN SUPERUSER; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hongbao_owner') THEN CREATE ROLE hongbao_owner LOGIN CREATEROLE; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hongbao_app') THEN CREATE ROLE hongbao_app NOLOGIN; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hongbao_gateway') THEN CREATE ROLE hongbao_gateway LOGIN IN ROLE hongbao_app; END IF;
END$$;
SQL
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='hongbao'" | grep -q 1 \
        || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE hongbao OWNER hongbao_owner" >/dev/null
    if [ "$NAME" = dev ] && [ -z "${HONGBAO_PG_DIR:-}" ]; then
        mkdir -p "$ROOT"
        # 0600 and this user's: the CLI trusts these files only so (DevelopmentCluster).
        (umask 077; url hongbao_gateway > "$ROOT/dev-database-url"; url hongbao_owner > "$ROOT/dev-migrate-database-url")
        chmod 600 "$ROOT/dev-database-url" "$ROOT/dev-migrate-database-url"
    fi
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
destroy)
    if [ -f "$DATA/PG_VERSION" ]; then as_owner "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$PGDIR"
    # The per-project parent of the /var/tmp layout goes with its last cluster.
    if [ -z "${HONGBAO_PG_DIR:-}" ] && as_root; then rmdir "$(dirname "$PGDIR")" 2>/dev/null || true; fi
    ;;
url) url ;;
app-url) url hongbao_gateway ;;
owner-url) url hongbao_owner ;;
env) echo "export DATABASE_URL=$(url)" ;;
dir) echo "$PGDIR" ;;
*) echo "usage: $0 start|stop|restart|destroy|url|app-url|owner-url|env|dir" >&2; exit 2 ;;
esac
