#!/usr/bin/env bash
# The payout engine, end to end: POST /v1/redpacks through release gateways (as the
# least-privilege app role), a release simulator and PostgreSQL on this machine, with the
# traffic of a realistic gateway — 100 entities over 10 appids, 50 tenants, a million
# users, amounts spread over 1–200 yuan — at 1, 8, 32 and 64 clients. Beside each point:
#   - pgbench running the same database work (scripts/bench/payout-writes.sql) with every
#     client on its own tenant and entities (the uncontended ceiling) and with the
#     realistic spread;
#   - sendredpack straight to the same simulator (the gateway's added latency);
#   - CPU per payout of the gateway and of PostgreSQL (from /proc), and where backends wait
#     (pg_stat_activity and pg_locks sampled during the run, by statement).
# Then a hot pool (4 entities, one tenant), 4 instances behind a round robin, and the
# limits driven past their ends through 4 instances, checked against the simulator's ledger.
# Called by scripts/bench.sh with BIN (release hongbao), DATABASE_URL (admin), SECONDS_PER
# and FIGURES (the figures file report.py reads). synchronous_commit stays on: this is money.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BIN:?}" "${DATABASE_URL:?}" "${SECONDS_PER:?}" "${FIGURES:?}"
CLIENTS="${GATEWAY_BENCH_CLIENTS:-1 8 32 64}"
MIGRATIONS="${BENCH_MIGRATIONS:-migrations}"
PAYOUT_WRITES="${BENCH_PAYOUT_WRITES:-scripts/bench/payout-writes.sql}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
figure() { python3 scripts/bench/figure.py "$FIGURES" "$@"; }
field() { sed -nE "s/.*\"$1\":(-?[0-9.]+).*/\1/p" <<<"$2"; }
ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u / 1000}'; }

source scripts/bench/gateway-setup.sh
# The serving path is measured without the reconciler's checks (serve --no-reconcile):
# every sent packet is checked about a minute later, so with it on each point would also
# carry the checks of the points before it. The checks are measured on their own below.
GATEWAY_FLAGS=(--no-reconcile)
# Database connections per gateway: 4 per core of this machine (PostgreSQL shares them).
# More backends than the cores can run only add context switches and lock traffic: the
# pool-of-32 points below show what that costs.
POOL="${BENCH_DB_POOL:-$(( $(nproc) * 4 ))}"
start_gateway "$POOL"; GW1="$GW_URL"
issue_tenants

# pgbench's tenants (0…63) and entities (0…199, rings of 1,800 slots), so its statements
# touch rows shaped like the gateway's.
psql "$ADMIN_URL" -qc "INSERT INTO tenants (id, name) SELECT ('00000000-0000-4000-a000-' || lpad(g::text, 12, '0'))::uuid, 'pgbench-' || g FROM generate_series(0, 63) g" \
    -c "INSERT INTO rate_slots (mch_id, slot, used_at) SELECT (1920000000 + m)::text, g, '-infinity' FROM generate_series(0, 199) m, generate_series(0, 1799) g" \
    -c "VACUUM ANALYZE" >/dev/null
DAY="$(TZ=Asia/Shanghai date +%F)"; COMPACT="$(TZ=Asia/Shanghai date +%Y%m%d)"
pgbench_tps() { # clients spread [script]
    local tps
    psql "$ADMIN_URL" -qc "CHECKPOINT" >/dev/null
    tps="$(pgbench -n -M prepared -c "$1" -j "$(( $1 < 4 ? $1 : 4 ))" -T "$SECONDS_PER" -f "${3:-$PAYOUT_WRITES}" \
        -D spread="$2" -D clients="$1" -D day="$DAY" -D compact="$COMPACT" "$ADMIN_URL" 2>"$work/pgbench.err" | awk '/^tps = / {print int($3)}' | tail -1)"
    [ -n "$tps" ] || { echo "pgbench failed:" >&2; tail -5 "$work/pgbench.err" >&2; return 1; }
    echo "$tps"
}

# CPU (clock ticks) of the gateways and of the whole PostgreSQL cluster.
TICK="$(getconf CLK_TCK)"
ticks() { for pid in "$@"; do awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null; done | awk '{s += $1} END {print s + 0}'; }
pg_pids() { local pm; pm="$(head -1 "$PGDATA_DIR/postmaster.pid")"; echo "$pm"; pgrep -P "$pm"; }
# Where active backends of the gateway's database are, 5 times a second: the wait event
# (CPU when none), the lock not granted (and on which table), and the statement's target.
WAIT_SQL="SELECT coalesce(a.wait_event_type || ':' || a.wait_event, 'CPU'),
    coalesce((SELECT string_agg(DISTINCT l.locktype || coalesce(' on ' || l.relation::regclass::text, ''), ',') FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted), ''),
    regexp_replace(regexp_replace(a.query, '\s+', ' ', 'g'), '^(WITH \w+ AS \( ?)?(INSERT INTO|UPDATE|SELECT|COMMIT|BEGIN|DELETE FROM|SET LOCAL) ?([a-z_]*).*$', '\2 \3', 'i'),
    a.state
  FROM pg_stat_activity a
  WHERE a.datname = 'hongbao_gw_bench' AND a.state <> 'idle' AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'"
sample_waits() { while :; do echo "#sample"; psql "$ADMIN_URL" -XAtqF'|' -c "$WAIT_SQL" 2>/dev/null || true; sleep 0.2; done; }

# One gateway measurement: throughput, latency, CPU per payout, waits. Args: label clients
# urls…; sets GW_OUT (bench gateway's JSON line), G_CPU and P_CPU (ms per payout).
gateway_point() {
    local label="$1" clients="$2"; shift 2
    local urls=() u; for u in "$@"; do urls+=(--url "$u"); done
    local g0 p0 sampler="" out
    psql "$ADMIN_URL" -qc "CHECKPOINT" >/dev/null
    g0="$(ticks "${gateway_pids[@]}")"; p0="$(ticks $(pg_pids))"
    if [ "$clients" -ge 8 ]; then sample_waits > "$work/waits-$label-$clients.txt" & sampler=$!; fi
    out="$("$BIN" bench gateway "${urls[@]}" --keys-file "${KEYS:-$work/keys.txt}" "${APPID_FLAGS[@]}" --users 1000000 \
        --min-fen 100 --max-fen 20000 --clients "$clients" --seconds "$SECONDS_PER" 2>"$work/client.err")" || true
    [ -n "$(field per_s "$out")" ] || { echo "bench gateway ($label, $clients clients) measured nothing:" >&2; cat "$work/client.err" >&2
                                        tail -5 "$work/gateway.log" >&2; exit 1; }
    if [ -n "$sampler" ]; then
        kill "$sampler"; wait "$sampler" 2>/dev/null || true
        python3 scripts/bench/waits.py "$work/waits-$label-$clients.txt" "$FIGURES" "$label" "$clients" >> "$work/waits-report.txt"
    fi
    local payouts=$(( $(field per_s "$out") * ${SECONDS_PER%.*} ))
    G_CPU="$(awk -v t="$(( $(ticks "${gateway_pids[@]}") - g0 ))" -v n="$payouts" -v hz="$TICK" 'BEGIN {if (n > 0) printf "%.3f", t * 1000 / hz / n}')"
    P_CPU="$(awk -v t="$(( $(ticks $(pg_pids)) - p0 ))" -v n="$payouts" -v hz="$TICK" 'BEGIN {if (n > 0) printf "%.3f", t * 1000 / hz / n}')"
    GW_OUT="$out"
}

APPID_FLAGS=(); for a in "${APPIDS[@]}"; do APPID_FLAGS+=(--appid "$a"); done
# Settle the cluster (what earlier benchmarks wrote is checkpointed and vacuumed), then an
# unmeasured run: the entities' slot rings are made on first use, connections opened.
# Checkpoints come only when asked (before each point, gateway's and pgbench's alike, so
# every point starts from the same state and pays the same full-page writes), not in the
# middle of one: a checkpoint at WAL's default 1 GB made one point's PostgreSQL CPU per
# payout twice its neighbours'.
psql "$DATABASE_URL" -qc "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '1h'" -c "SELECT pg_reload_conf()" >/dev/null
psql "$ADMIN_URL" -qc "CHECKPOINT" -c "VACUUM ANALYZE" >/dev/null
"$BIN" bench gateway --url "$GW1" --keys-file "$work/keys.txt" "${APPID_FLAGS[@]}" --appid wx9200000000000000 --users 1000000 \
    --min-fen 100 --max-fen 20000 --clients 8 --seconds 5 >/dev/null
psql "$ADMIN_URL" -qc "CHECKPOINT" >/dev/null
echo "== Payout engine, realistic pool: 100 entities, 50 tenants, 1M users, 1-200 yuan (${SECONDS_PER}s per point)"
printf "%-7s %9s %8s %8s %9s %9s %7s %9s %9s %9s %9s\n" clients gateway/s p50_ms p99_ms ceiling spread ratio direct_p50 added_p50 gw_cpu_ms pg_cpu_ms
for clients in $CLIENTS; do
    gateway_point realistic "$clients" "$GW1"; gw="$GW_OUT"
    direct="$("$BIN" bench upstream --control "$CONTROL" --base "https://127.0.0.1:$sim_port" --ca-file "$work/sim/ca.pem" \
        --mch-id "19000090$(printf %02d "$clients")" --clients "$clients" --seconds "$SECONDS_PER")"
    ceiling="$(pgbench_tps "$clients" 0)"; spread="$(pgbench_tps "$clients" 1)"
    gps="$(field per_s "$gw")"; gp50="$(field p50_us "$gw")"; gp99="$(field p99_us "$gw")"; dp50="$(field p50_us "$direct")"
    s="section=realistic"; c="clients=$clients"
    at32=(); at1=(); [ "$clients" = 32 ] && at32=(target=">= 0.6"); [ "$clients" = 1 ] && at1=(target="<= 2")
    figure name="gateway_per_s_c$clients" value="$gps" unit="payouts/s" baseline="$ceiling" baseline_name="pgbench_ceiling_c$clients" "${at32[@]}" "$s" "$c"
    figure name="gateway_p50_ms_c$clients" value="$(ms "$gp50")" unit=ms "$s" "$c"
    at32=(); [ "$clients" = 32 ] && at32=(target="<= 50")
    figure name="gateway_p99_ms_c$clients" value="$(ms "$gp99")" unit=ms "${at32[@]}" "$s" "$c"
    figure name="direct_p50_ms_c$clients" value="$(ms "$dp50")" unit=ms "$s" "$c"
    figure name="added_p50_ms_c$clients" value="$(ms $((gp50 - dp50)))" unit=ms "${at1[@]}" "$s" "$c"
    figure name="pgbench_ceiling_c$clients" value="$ceiling" unit=tps "$s" "$c"
    figure name="pgbench_spread_c$clients" value="$spread" unit=tps baseline="$ceiling" baseline_name="pgbench_ceiling_c$clients" "$s" "$c"
    figure name="gateway_cpu_ms_per_payout_c$clients" value="$G_CPU" unit=ms "$s" "$c"
    figure name="postgres_cpu_ms_per_payout_c$clients" value="$P_CPU" unit=ms "$s" "$c"
    figure name="gateway_errors_c$clients" value="$(field errors "$gw")" unit=requests target="<= 0" "$s" "$c"
    printf "%-7s %9s %8s %8s %9s %9s %7s %9s %9s %9s %9s\n" "$clients" "$gps" "$(ms "$gp50")" "$(ms "$gp99")" "$ceiling" "$spread" \
        "$(awk -v a="$gps" -v b="$ceiling" 'BEGIN {printf "%.2f", a / b}')" "$(ms "$dp50")" "$(ms $((gp50 - dp50)))" "$G_CPU" "$P_CPU"
    [ "$(field errors "$gw")" = 0 ] || echo "  ($(field errors "$gw") requests failed; see the gateway log)"
done
cat "$work/waits-report.txt"; : > "$work/waits-report.txt"
for clients in 32 64; do
    figure name="gateway_c${clients}_over_c8" value="$(python3 scripts/bench/value.py "$FIGURES" "gateway_per_s_c$clients")" unit=x \
        baseline="$(python3 scripts/bench/value.py "$FIGURES" gateway_per_s_c8)" baseline_name=gateway_per_s_c8 target=">= 1.0" section=realistic
done

echo
echo "== Hot pool: 4 entities on one appid, one tenant (every payout on the same few rows)"
printf "%-7s %9s %8s %8s\n" clients gateway/s p50_ms p99_ms
saved=("${APPID_FLAGS[@]}"); APPID_FLAGS=(--appid wx9200000000000000)
for clients in 8 32; do
    KEYS="$work/hot-key.txt" gateway_point hot "$clients" "$GW1"; gw="$GW_OUT"
    figure name="hot_per_s_c$clients" value="$(field per_s "$gw")" unit="payouts/s" section=hot clients="$clients"
    figure name="hot_p99_ms_c$clients" value="$(ms "$(field p99_us "$gw")")" unit=ms section=hot clients="$clients"
    printf "%-7s %9s %8s %8s\n" "$clients" "$(field per_s "$gw")" "$(ms "$(field p50_us "$gw")")" "$(ms "$(field p99_us "$gw")")"
done
APPID_FLAGS=("${saved[@]}")
cat "$work/waits-report.txt"; : > "$work/waits-report.txt"
figure name="hot_c32_over_c8" value="$(python3 scripts/bench/value.py "$FIGURES" hot_per_s_c32)" unit=x \
    baseline="$(python3 scripts/bench/value.py "$FIGURES" hot_per_s_c8)" baseline_name=hot_per_s_c8 target=">= 1.0" section=hot

# The audit chain must not cap throughput: the same writes with and without its records.
grep -v audit_append "$PAYOUT_WRITES" > "$work/no-audit.sql"
with="$(pgbench_tps 32 1)"; without="$(pgbench_tps 32 1 "$work/no-audit.sql")"
figure name=pgbench_spread_c32_with_audit value="$with" unit=tps baseline="$without" baseline_name=pgbench_spread_c32_without_audit section=audit
echo
printf "%-34s %8s tps with the chain, %s without (%s)\n" "audit chain, pgbench 32 clients" "$with" "$without" \
    "$(awk -v a="$with" -v b="$without" 'BEGIN {printf "%.2f", a / b}')"
rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/${gateway_pids[0]}/status")"
figure name=gateway_rss_mb value="$((rss_kb / 1024))" unit=MB target="<= 150" section=memory
printf "%-34s %8s MB   (target <= 150)\n" "gateway RSS after the runs" "$((rss_kb / 1024))"

echo
echo "== Pool size: one gateway with 32 database connections instead of $POOL, same traffic"
start_gateway 32; WIDE="$GW_URL"
"$BIN" bench gateway --url "$WIDE" --keys-file "$work/keys.txt" "${APPID_FLAGS[@]}" --users 1000000 --min-fen 100 --max-fen 20000 \
    --clients 16 --seconds 3 >/dev/null
printf "%-7s %12s %12s\n" clients "pool $POOL/s" "pool 32/s"
for clients in 32 64; do
    gateway_point pool32 "$clients" "$WIDE"; gw="$GW_OUT"
    figure name="pool32_per_s_c$clients" value="$(field per_s "$gw")" unit="payouts/s" \
        baseline="$(python3 scripts/bench/value.py "$FIGURES" "gateway_per_s_c$clients")" baseline_name="gateway_per_s_c$clients" section=pool clients="$clients"
    figure name="pool32_postgres_cpu_ms_per_payout_c$clients" value="$P_CPU" unit=ms section=pool clients="$clients"
    printf "%-7s %12s %12s   (PostgreSQL CPU per payout %s ms)\n" "$clients" "$(python3 scripts/bench/value.py "$FIGURES" "gateway_per_s_c$clients")" \
        "$(field per_s "$gw")" "$P_CPU"
done
kill "${gateway_pids[-1]}"; unset 'gateway_pids[-1]'

echo
echo "== Scale-out: 4 instances on one PostgreSQL, the bench client taking them in turn"
# Each with the one instance's pool: a connection carries at most one commit's WAL flush
# at a time, so four instances with a quarter of the pool each are bound by the disk
# (measured: 0.70 of one instance).
start_gateway "$POOL"; GW2="$GW_URL"; start_gateway "$POOL"; GW3="$GW_URL"; start_gateway "$POOL"; GW4="$GW_URL"
# Unmeasured: each new instance makes its connections and learns the entities' slot rings.
"$BIN" bench gateway --url "$GW2" --url "$GW3" --url "$GW4" --keys-file "$work/keys.txt" "${APPID_FLAGS[@]}" --users 1000000 \
    --min-fen 100 --max-fen 20000 --clients 16 --seconds 3 >/dev/null
printf "%-7s %12s %12s %7s\n" clients one/s four/s ratio
for clients in 32 64; do
    gateway_point four "$clients" "$GW1" "$GW2" "$GW3" "$GW4"; gw="$GW_OUT"
    one="$(python3 scripts/bench/value.py "$FIGURES" "gateway_per_s_c$clients")"
    figure name="four_instances_per_s_c$clients" value="$(field per_s "$gw")" unit="payouts/s" baseline="$one" baseline_name="gateway_per_s_c$clients" \
        target=">= 1.0" section=scale-out clients="$clients"
    figure name="four_instances_p99_ms_c$clients" value="$(ms "$(field p99_us "$gw")")" unit=ms section=scale-out clients="$clients"
    printf "%-7s %12s %12s %7s\n" "$clients" "$one" "$(field per_s "$gw")" "$(awk -v a="$(field per_s "$gw")" -v b="$one" 'BEGIN {printf "%.2f", a / b}')"
done

cat "$work/waits-report.txt"

echo
echo "== Reconciler: gethbinfo checks per second, draining what the runs above sent (one instance, default settings)"
GATEWAY_FLAGS=()
# pgbench's payouts name an entity that does not exist: out of the reconciler's way.
psql "$ADMIN_URL" -qc "UPDATE payouts SET next_check_at = NULL WHERE merchant = 'bench-0'" >/dev/null
due="$(psql "$ADMIN_URL" -XAtc "SELECT count(*) FROM payouts WHERE next_check_at <= now() + interval '5 minutes'")"
psql "$ADMIN_URL" -qc "UPDATE payouts SET next_check_at = now() WHERE next_check_at <= now() + interval '5 minutes'" >/dev/null
checks() { curl -sf "$CONTROL/_sim/requests" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin).get("gethbinfo", {}).values()))'; }
start_gateway 32 # its reconciler's 8 workers and /readyz share the pool
sleep 5 # its first mTLS handshakes with each entity
c0="$(checks)"; sleep "$SECONDS_PER"; c1="$(checks)"
per_s="$(awk -v d="$((c1 - c0))" -v s="$SECONDS_PER" 'BEGIN {printf "%d", d / s}')"
figure name=reconciler_checks_per_s value="$per_s" unit="checks/s" section=reconciler
printf "%-34s %8s   (%s payouts were due)\n" "checks/s" "$per_s" "$due"
curl -sf "http://127.0.0.1:$GW_METRICS/metrics" | grep -E '^hongbao_reconciler_looks_total' | sed 's/^/  /' || true

echo
echo "== Limits through 4 instances, 32 clients each past the limit, checked in the simulator's ledger"
limits_run() { # appid users keys-file
    "$BIN" bench gateway --url "$GW1" --url "$GW2" --url "$GW3" --url "$GW4" --keys-file "$3" --appid "$1" --users "$2" \
        --min-fen 100 --max-fen 20000 --clients 32 --seconds "$SECONDS_PER"
}
minute="$(limits_run wx9100000000000001 1000000 "$work/keys.txt")"
user="$(limits_run wx9100000000000002 5 "$work/keys.txt")"
budget="$(limits_run wx9100000000000003 1000000 "$work/budget-key.txt")"
for run in minute user budget; do
    figure name="limits_${run}_errors" value="$(field errors "${!run}")" unit=requests target="<= 0" section=limits
    figure name="limits_${run}_refused" value="$(field refused "${!run}")" unit=requests target=">= 1" section=limits
done
python3 scripts/bench/ledger-check.py "$CONTROL" "$FIGURES" --per-minute 1940000001-1940000005=20 \
    --per-user 1940000011-1940000015=2 --budget 1940000021-1940000025="$BUDGET_FEN"
