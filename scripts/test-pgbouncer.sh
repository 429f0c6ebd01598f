#!/usr/bin/env bash
# The whole test suite once more, with every database connection going through PgBouncer
# in transaction mode (DESIGN.md §10): prepared statements off (PgBouncer 1.18 cannot keep
# them across transactions) and LISTEN/NOTIFY on a direct connection to PostgreSQL
# (HONGBAO_LISTEN_DATABASE_URL). Needs Debian's pgbouncer (scripts/deps.sh --pgbouncer).
# Not part of `make test`: run it when the database access changes (`make test-pgbouncer`).
# Left out, because they test PostgreSQL itself rather than the gateway through a pooler:
#   CrashTests, ChaosTests (they restart the cluster under the pooler's feet),
#   PoolTests (they kill server backends and count the pool's own connections),
#   AuditTests' appRoleCannotRewrite (it logs in as a role it makes on the fly, which
#   PgBouncer's user list, written at start, cannot know),
#   TransactionSafetyTests' durableWhateverTheDefault (it changes the database's default with
#   ALTER DATABASE … SET, which reaches only new server sessions, and PgBouncer reuses them).
# Each test makes databases of its own: server connections idle for a second are closed,
# or their pools would outnumber PostgreSQL's max_connections.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2; exit 1; }
export HONGBAO_PG_NAME="${HONGBAO_PG_NAME:-pgbouncer}"
swift build --build-tests
work="$(mktemp -d)"
chmod 755 "$work"
bouncer=""
cleanup() {
    [ -n "$bouncer" ] && kill "$bouncer" 2>/dev/null || true
    bash scripts/pg.sh stop
    rm -rf "$work"
}
trap cleanup EXIT
bash scripts/pg.sh destroy
DIRECT="$(bash scripts/pg.sh start)"
PGPORT="$(sed -E 's#.*:([0-9]+)/.*#\1#' <<<"$DIRECT")"
# The roles the tests log in as, made now (as the migrations and TestDatabase.appURL would)
# so PgBouncer's user list knows them.
psql "$DIRECT" -qc "DO \$\$BEGIN CREATE ROLE hongbao_app NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$;" \
    -c "DO \$\$BEGIN CREATE ROLE hongbao_test_app LOGIN IN ROLE hongbao_app; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$;" >/dev/null
psql "$DIRECT" -XAtc "SELECT '\"' || rolname || '\" \"\"' FROM pg_roles WHERE rolcanlogin" > "$work/users.txt"
port="$(( 20000 + RANDOM % 30000 ))"
cat > "$work/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PGPORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $work/users.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
max_db_connections = 40
server_idle_timeout = 1
server_reset_query =
ignore_startup_parameters = extra_float_digits,application_name
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
INI
if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$work"; as=(su postgres -s /bin/bash -c "pgbouncer $work/pgbouncer.ini"); else as=(pgbouncer "$work/pgbouncer.ini"); fi
"${as[@]}" &
bouncer=$!
for _ in $(seq 1 50); do psql "postgresql://postgres@127.0.0.1:$port/postgres" -XAtqc "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
export HONGBAO_DB_PREPARED_STATEMENTS=off
export HONGBAO_LISTEN_DATABASE_URL="postgresql://127.0.0.1:$PGPORT"
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=4
echo "== the test suite through PgBouncer (transaction mode) on 127.0.0.1:$port, LISTEN direct to :$PGPORT"
swift test --skip-build --parallel --skip "ChaosTests|CrashTests|PoolTests|appRoleCannotRewrite|durableWhateverTheDefault"
