#!/usr/bin/env bash
# POST /v1/redpacks end to end — a release gateway (as the least-privilege app role), a
# release simulator and PostgreSQL on this machine — at 1, 8 and 32 clients, beside:
#   - pgbench running the same database work (scripts/bench/payout-writes.sql), and
#   - sendredpack straight to the same simulator (the added latency is the difference).
# Called by scripts/bench.sh with BIN (release hongbao), DATABASE_URL (admin) and
# SECONDS_PER set; prints one table. synchronous_commit stays on: this is money.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BIN:?}" "${DATABASE_URL:?}" "${SECONDS_PER:?}"
CLIENTS="${GATEWAY_BENCH_CLIENTS:-1 8 32}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$(( 20000 + RANDOM % 30000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    return 1
}

# Database: migrated by the admin; the gateway logs in as a member of hongbao_app.
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS hongbao_gw_bench" -c "CREATE DATABASE hongbao_gw_bench" >/dev/null
ADMIN_URL="${DATABASE_URL%/*}/hongbao_gw_bench"
psql "$DATABASE_URL" -qtAc "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hongbao_bench_gw') THEN
    CREATE ROLE hongbao_bench_gw LOGIN; END IF; END\$\$;" >/dev/null
DATABASE_URL="$ADMIN_URL" "$BIN" migrate --migrations migrations >/dev/null
psql "$ADMIN_URL" -qc "GRANT hongbao_app TO hongbao_bench_gw" >/dev/null
APP_URL="$(sed -E 's#//[^@]*@#//hongbao_bench_gw@#' <<<"$ADMIN_URL")"

# Simulator (strict durability off: it is the upstream, not what is measured).
sim_port="$(free_port)"; control_port="$(free_port)"
"$BIN" simulator --listen "127.0.0.1:$sim_port" --control "127.0.0.1:$control_port" --state-dir "$work/sim" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$control_port/_sim/clock" >/dev/null && break; sleep 0.1; done

# Four test-mode entities on one appid; limits far above what is measured.
mkdir -p "$work/merchants.d"
for i in 1 2 3 4; do
    cat > "$work/merchants.d/bench-$i.toml" <<TOML
kind = "wechatpay.v2"
name = "bench-$i"
mch_id = "190000100$i"
appids = [ { id = "wx8888888888888888", type = "mp" } ]
send_name = "bench"
api_key = { file = "../secrets/bench-$i/api_key" }
cert = "../secrets/bench-$i/apiclient_cert.pem"
key = { file = "../secrets/bench-$i/apiclient_key.pem" }
base_url = "https://127.0.0.1:$sim_port"
ca_file = "../sim/ca.pem"
onboarded_on = 2020-01-01
trading_since = 2020-01-01
redpack_enabled = true
limits = { per_minute = 100000, per_user_per_day = 1000, min_fen = 100, max_fen = 20000, daily_fen = 900000000000 }
tenants = ["*"]
mode = "test"
TOML
done
"$BIN" simulator register --control "http://127.0.0.1:$control_port" --merchants "$work/merchants.d" --balance-fen 900000000000 >/dev/null

gw_port="$(free_port)"
DATABASE_URL="$APP_URL" LOG_LEVEL=warning "$BIN" serve --port "$gw_port" --merchants "$work/merchants.d" --migrations migrations \
    --db-pool-size 32 2>"$work/gateway.log" &
gw_pid=$!
pids+=($gw_pid)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.1; done
DATABASE_URL="$APP_URL" "$BIN" tenant add bench >/dev/null
KEY="$(DATABASE_URL="$APP_URL" "$BIN" key issue --tenant bench --test --json | sed -nE 's/.*"key" : "([^"]+)".*/\1/p')"

# pgbench's own tenant, entity ring and key row, so its statements touch what the gateway's do.
TENANT="$(psql "$ADMIN_URL" -qtAc "INSERT INTO tenants (id, name) VALUES (gen_random_uuid(), 'pgbench') RETURNING id")"
psql "$ADMIN_URL" -qc "INSERT INTO rate_slots (mch_id, slot, used_at) SELECT '1900009001', g, '-infinity' FROM generate_series(0, 99999) g" >/dev/null
DAY="$(TZ=Asia/Shanghai date +%F)"; COMPACT="$(TZ=Asia/Shanghai date +%Y%m%d)"

field() { sed -E "s/.*\"$1\":([0-9]+).*/\1/" <<<"$2"; }
echo "== Payout engine: POST /v1/redpacks end to end vs pgbench on the same writes, and vs sendredpack straight to the simulator (${SECONDS_PER}s each)"
printf "%-8s %10s %10s %10s %12s %8s %12s %12s %12s %12s\n" clients gateway/s p50_ms p99_ms pgbench_tps ratio direct_p50 direct_p99 added_p50 added_p99
for clients in $CLIENTS; do
    gw="$("$BIN" bench gateway --url "http://127.0.0.1:$gw_port" --key "$KEY" --clients "$clients" --seconds "$SECONDS_PER")"
    direct="$("$BIN" bench upstream --control "http://127.0.0.1:$control_port" --base "https://127.0.0.1:$sim_port" --ca-file "$work/sim/ca.pem" \
        --mch-id "19000090$(printf %02d "$clients")" --clients "$clients" --seconds "$SECONDS_PER")"
    pg="$(pgbench -n -M prepared -c "$clients" -j "$(( clients < 4 ? clients : 4 ))" -T "$SECONDS_PER" -f scripts/bench/payout-writes.sql \
        -D tenant="$TENANT" -D mch=1900009001 -D day="$DAY" -D compact="$COMPACT" "$ADMIN_URL" 2>"$work/pgbench.err" | awk '/^tps = / {print int($3)}' | tail -1)"
    [ -n "$pg" ] || { echo "pgbench failed:" >&2; cat "$work/pgbench.err" >&2; exit 1; }
    gps="$(field per_s "$gw")"; gp50="$(field p50_us "$gw")"; gp99="$(field p99_us "$gw")"
    dp50="$(field p50_us "$direct")"; dp99="$(field p99_us "$direct")"
    ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }
    printf "%-8s %10s %10s %10s %12s %8s %12s %12s %12s %12s\n" "$clients" "$gps" "$(ms "$gp50")" "$(ms "$gp99")" "$pg" \
        "$(awk -v a="$gps" -v b="$pg" 'BEGIN {printf "%.2f", a / b}')" "$(ms "$dp50")" "$(ms "$dp99")" \
        "$(ms $((gp50 - dp50)))" "$(ms $((gp99 - dp99)))"
    [ "$(field errors "$gw")" = 0 ] || echo "  ($(field errors "$gw") gateway requests did not answer 201; see $work/gateway.log)"
done
# The audit chain must not cap throughput: the same writes with and without its records.
grep -v audit_append scripts/bench/payout-writes.sql > "$work/no-audit.sql"
for variant in with without; do
    file=scripts/bench/payout-writes.sql; [ "$variant" = without ] && file="$work/no-audit.sql"
    tps="$(pgbench -n -M prepared -c 32 -j 4 -T "$SECONDS_PER" -f "$file" -D tenant="$TENANT" -D mch=1900009001 -D day="$DAY" \
        -D compact="$COMPACT" "$ADMIN_URL" 2>/dev/null | awk '/^tps = / {print int($3)}' | tail -1)"
    eval "tps_$variant=$tps"
done
printf "%-28s %8s tps with the chain, %s without (%s)\n" "audit chain, pgbench 32 clients" "$tps_with" "$tps_without" \
    "$(awk -v a="$tps_with" -v b="$tps_without" 'BEGIN {printf "%.2f", a / b}')"
rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$gw_pid/status")"
printf "%-28s %8s MB   (target <= 150)\n" "gateway RSS after the runs" "$((rss_kb / 1024))"
echo "targets: ratio >= 0.60 at 32 clients, added p50 <= 2 ms, added p99 <= 10 ms"
