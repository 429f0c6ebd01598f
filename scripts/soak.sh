#!/usr/bin/env bash
# make soak: a long run of mixed tenant traffic against one gateway while the simulator
# injects WeChat's faults and merchants.d is reloaded now and then; the gateway's RSS, open
# descriptors and database connections must stay flat after the warm-up, the error rate
# must not drift, and at the end the invariants must hold (audit chain, nothing paid twice,
# every payout final and equal to the simulator's ledger, every webhook delivered).
# Prints a table and writes a CSV with one line per sample (docs/operations.md, "Soak", says what
# each column and check is). Everything it starts is its own: a fresh PostgreSQL cluster
# (SOAK_PG_NAME, default soak), a simulator and a gateway on free ports, a copy of
# merchants.d in a temporary directory; all are stopped on the way out, whatever happened.
#
#   SOAK_MINUTES          minutes of traffic (default 60; fractions allowed)
#   SOAK_SAMPLE_SECONDS   seconds between two samples, one CSV line each (default 60)
#   SOAK_WARMUP_MINUTES   samples before this are the warm-up, left out of the growth checks
#                         (default a fifth of SOAK_MINUTES, at least 1.5: the first fault cycle)
#   SOAK_RATE             gateway requests per second, all kinds together (default 20)
#   SOAK_CLIENTS          client threads (default 4)
#   SOAK_RELOAD_SECONDS   seconds between two merchant reloads (default 120; 10 per minute of
#                         a run shorter than 12 minutes, so that it sees a few)
#   SOAK_DIR              where the CSV, the summary and the logs go (default .hongbao/soak/<time>)
#   SOAK_CSV              the CSV's path (default $SOAK_DIR/soak.csv)
#   HONGBAO_BIN           the hongbao binary (default: `swift build`, then .build/debug/hongbao)
#   SOAK_LOG_LEVEL        the gateway's LOG_LEVEL (default warning; its log goes to SOAK_DIR)
#   SOAK_PG_NAME          the cluster's name for scripts/pg.sh (default soak; HONGBAO_PG_NAME is
#                         not read, so a caller's cluster is never destroyed)
# The checks' limits (SOAK_MAX_GROWTH 0.10, SOAK_RSS_SLACK_MB 2, SOAK_FD_SLACK 8, SOAK_DB_SLACK 2,
# SOAK_MAX_ERROR_RATE 0.01, SOAK_MAX_ERROR_DRIFT 0.005) are described in docs/operations.md, "Soak".
# The CI-sized run in make test: SOAK_MINUTES=3 SOAK_SAMPLE_SECONDS=15 bash scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "make soak needs python3" >&2; exit 1; }
# Its own cluster even when called from a script that exported another name (make test).
export HONGBAO_PG_NAME="${SOAK_PG_NAME:-soak}"
if [ -z "${HONGBAO_BIN:-}" ]; then
    swift build --product hongbao
    HONGBAO_BIN="$(swift build --show-bin-path)/hongbao"
fi
BIN="$HONGBAO_BIN"
[ -x "$BIN" ] || { echo "no hongbao binary at $BIN" >&2; exit 1; }
SOAK_DIR="${SOAK_DIR:-.hongbao/soak/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$SOAK_DIR"
SOAK_DIR="$(cd "$SOAK_DIR" && pwd)"
export SOAK_DIR SOAK_CSV="${SOAK_CSV:-$SOAK_DIR/soak.csv}"
# The world's secrets (simulator keys and certificates, the KEK, the admin token, API keys)
# live in a private temporary directory, removed on the way out.
world="$(umask 077; mktemp -d "${TMPDIR:-/tmp}/hongbao-soak.XXXXXX")"

pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    bash scripts/pg.sh stop || true
    rm -rf "$world"
    echo "soak: results in $SOAK_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # URL WHAT PID
    for _ in $(seq 1 300); do
        curl -sf "$1" >/dev/null 2>&1 && return 0
        kill -0 "$3" 2>/dev/null || break
        sleep 0.1
    done
    echo "$2 did not come up at $1" >&2
    return 1
}

# A fresh cluster every run, so what is measured is this run's growth only.
bash scripts/pg.sh destroy
bash scripts/pg.sh start >/dev/null
ADMIN_URL="$(bash scripts/pg.sh url)"
CLI_URL="$(bash scripts/pg.sh app-url)"
DATABASE_URL="$CLI_URL" MIGRATE_DATABASE_URL="$(bash scripts/pg.sh owner-url)" "$BIN" migrate >/dev/null
# The gateway logs in as a role of its own, so its connections can be counted apart from
# the CLI's (pg_stat_activity.usename).
psql "$ADMIN_URL" -qc "CREATE ROLE hongbao_soak_gateway LOGIN IN ROLE hongbao_app" >/dev/null
GATEWAY_URL="$(sed -E 's#//[^@]*@#//hongbao_soak_gateway@#' <<<"$ADMIN_URL")"

# The simulator, its state beside a copy of merchants.d (the files name ../.hongbao/sim and
# ../.hongbao/merchants), with base_url pointing at this simulator's port.
sim_port="$(free_port)"; control_port="$(free_port)"
CONTROL="http://127.0.0.1:$control_port"
mkdir -p "$world/merchants.d" "$world/.hongbao"
for f in merchants.d/*.toml; do
    sed -E "s#^base_url = \"https://127.0.0.1:[0-9]+\"#base_url = \"https://127.0.0.1:$sim_port\"#" "$f" > "$world/merchants.d/$(basename "$f")"
done
"$BIN" simulator --listen "127.0.0.1:$sim_port" --control "127.0.0.1:$control_port" --state-dir "$world/.hongbao/sim" \
    >"$SOAK_DIR/simulator.log" 2>&1 &
sim_pid=$!; pids+=("$sim_pid")
wait_for "$CONTROL/_sim/clock" "the simulator" "$sim_pid"
"$BIN" simulator register --control "$CONTROL" --merchants "$world/merchants.d" --balance-fen 100000000000 >/dev/null

# The gateway: short graces so what the faults leave open is settled within the run, the
# webhook receiver on loopback allowed, the dashboard on.
(umask 077; openssl rand -hex 32 > "$world/admin-token"; openssl rand -base64 32 > "$world/kek")
port="$(free_port)"; metrics_port="$(free_port)"
GW="http://127.0.0.1:$port"
GATEWAY_FLAGS=(--upstream-timeout-ms 2000 --send-deadline-ms 1500 --sending-grace-seconds 10 --not-found-grace-seconds 5
               --never-kept-grace-seconds 20 --reconcile-lease-seconds 30)
DATABASE_URL="$GATEWAY_URL" HONGBAO_KEK="$(cat "$world/kek")" LOG_LEVEL="${SOAK_LOG_LEVEL:-warning}" \
    "$BIN" serve --host 127.0.0.1 --port "$port" --metrics-port "$metrics_port" --merchants "$world/merchants.d" \
    --admin-token-file "$world/admin-token" --webhook-allow-private "${GATEWAY_FLAGS[@]}" \
    >"$SOAK_DIR/gateway.log" 2>&1 &
gateway_pid=$!; pids+=("$gateway_pid")
wait_for "$GW/readyz" "the gateway" "$gateway_pid"

# Two tenants with a test key each (the simulator's entities are test-mode).
for t in soak-a soak-b; do
    DATABASE_URL="$CLI_URL" "$BIN" tenant add "$t" --actor soak >/dev/null
    DATABASE_URL="$CLI_URL" "$BIN" key issue --tenant "$t" --test --label soak --actor soak --json \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])' > "$world/key-$t"
done

export SOAK_BIN="$BIN" SOAK_GATEWAY="$GW" SOAK_GATEWAY_PID="$gateway_pid" SOAK_METRICS="http://127.0.0.1:$metrics_port/metrics"
export SOAK_CONTROL="$CONTROL" SOAK_MERCHANTS="$world/merchants.d" SOAK_ADMIN_URL="$ADMIN_URL" SOAK_CLI_URL="$CLI_URL"
export SOAK_GATEWAY_ROLE=hongbao_soak_gateway SOAK_KEYS="$world/key-soak-a,$world/key-soak-b"
export SOAK_RECONCILE_FLAGS="--upstream-timeout-ms 2000 --sending-grace-seconds 10 --not-found-grace-seconds 5 --never-kept-grace-seconds 20 --reconcile-lease-seconds 30"
python3 scripts/soak/main.py
