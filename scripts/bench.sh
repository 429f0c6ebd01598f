#!/usr/bin/env bash
# Benchmarks, each beside a baseline measured in the same run, printed as a ratio. Every
# figure also goes to bench/results.json (with its baseline, ratio, target and the
# machine's facts) and the gateway's to the chart bench/throughput.svg; the run fails when
# a figure it must measure is missing (scripts/bench/report.py holds the list).
#   BENCH_SECONDS  seconds per measurement (default 10)
#   BENCH_COMPARE  an earlier results.json to draw dashed beside this run (before/after)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER="${BENCH_SECONDS:-10}"
FIGURES="$(mktemp)"
export FIGURES SECONDS_PER
figure() { python3 scripts/bench/figure.py "$FIGURES" "$@"; }
swift build -c release --scratch-path .build-release --product hongbao
BIN="$(swift build -c release --scratch-path .build-release --show-bin-path)/hongbao"
export HONGBAO_PG_NAME=bench
# On the way out, whatever happened: the report (results.json says what is missing, and
# the run fails then), the cluster's settings back, the cluster stopped.
finish() {
    local status=$?
    python3 scripts/bench/report.py "$FIGURES" bench ${BENCH_COMPARE:+--compare "$BENCH_COMPARE"} || status=1
    psql "$(bash scripts/pg.sh url)" -qc "ALTER SYSTEM RESET ALL" >/dev/null 2>&1 || true
    bash scripts/pg.sh stop
    rm -f "$FIGURES"
    exit "$status"
}
trap finish EXIT
DATABASE_URL="$(bash scripts/pg.sh start)"
export DATABASE_URL
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS hongbao_bench" -c "CREATE DATABASE hongbao_bench" >/dev/null
BENCH_URL="${DATABASE_URL%/*}/hongbao_bench"
psql "$BENCH_URL" -qc "CREATE TABLE bench_items (id bigserial PRIMARY KEY, payload text NOT NULL, amount int8 NOT NULL)" >/dev/null
# Both sides commit without waiting for fsync, so the ratio measures the client and not
# this machine's disk latency (which otherwise dominates both and hides the difference).
psql "$DATABASE_URL" -qc "ALTER DATABASE hongbao_bench SET synchronous_commit = off" >/dev/null

script="$(mktemp)"
cat > "$script" <<'SQL'
\set amount random(1, 100000)
INSERT INTO bench_items (payload, amount) VALUES ('x', :amount) RETURNING id \gset
SELECT id, payload, amount FROM bench_items WHERE id = :id;
SQL

echo "== Postgres module vs pgbench (INSERT … RETURNING + point SELECT, extended protocol, synchronous_commit=off, ${SECONDS_PER}s each)"
printf "%-8s %12s %12s %8s\n" clients pgbench_tps hongbao_tps ratio
for clients in 1 8; do
    pg_tps="$(pgbench -n -M extended -c "$clients" -j "$clients" -T "$SECONDS_PER" -f "$script" "$BENCH_URL" 2>/dev/null \
        | awk '/^tps = / {print int($3)}' | tail -1)"
    hb_tps="$(DATABASE_URL="$BENCH_URL" "$BIN" bench postgres --clients "$clients" --seconds "$SECONDS_PER" | sed -E 's/.*"tps":([0-9]+).*/\1/')"
    figure name="postgres_module_tps_c$clients" value="$hb_tps" unit=tps baseline="$pg_tps" baseline_name="pgbench_insert_select_c$clients" \
        section=postgres clients="$clients"
    printf "%-8s %12s %12s %8s\n" "$clients" "$pg_tps" "$hb_tps" "$(awk -v a="$hb_tps" -v b="$pg_tps" 'BEGIN {printf "%.2f", a / b}')"
done
rm -f "$script"
# Gone before the next section: its rows' vacuum would otherwise run during the gateway's points.
psql "$DATABASE_URL" -qc "DROP DATABASE hongbao_bench" >/dev/null

echo
echo "== Simulator: sendredpack/s with 64 concurrent mTLS keep-alive clients, every send a new packet"
short="$("$BIN" bench simulator --clients 64 --seconds "${SIM_SHORT_SECONDS:-10}")"
long="$("$BIN" bench simulator --clients 64 --seconds "${SIM_LONG_SECONDS:-120}" --no-baseline)"
memory="$("$BIN" bench simulator --rss-packets "${SIM_RSS_PACKETS:-1000000}")"
field() { sed -nE "s/.*\"$1\":([0-9]+).*/\1/p" <<<"$2"; }
noop="$(field noop_per_s "$short")"
s10="$(field sendredpack_per_s "$short")"
s120="$(field sendredpack_per_s "$long")"
printf "%-34s %12s\n" "no-op /_sim/ping/s" "$noop"
printf "%-34s %12s   (%s packets stored)\n" "sendredpack/s over ${SIM_SHORT_SECONDS:-10} s" "$s10" "$(field packets "$short")"
printf "%-34s %12s   (%s packets stored)\n" "sendredpack/s over ${SIM_LONG_SECONDS:-120} s" "$s120" "$(field packets "$long")"
printf "%-34s %12s   (target >= 0.90)\n" "long/short ratio" "$(awk -v a="$s120" -v b="$s10" 'BEGIN {printf "%.2f", a / b}')"
printf "%-34s %s\n" "long run, per 10-s window" "$(sed -E 's/.*"windows_per_s":\[([0-9,]*)\].*/\1/' <<<"$long")"
printf "%-34s %12s\n" "sendredpack/no-op ratio" "$(awk -v a="$s10" -v b="$noop" 'BEGIN {printf "%.2f", a / b}')"
figure name=simulator_sendredpack_per_s value="$s10" unit="sends/s" baseline="$noop" baseline_name=simulator_noop_per_s section=simulator
figure name=simulator_long_over_short value="$s120" unit="sends/s" baseline="$s10" baseline_name=simulator_sendredpack_per_s target=">= 0.9" section=simulator
figure name=simulator_rss_mb_per_million value="$(field mb_per_million "$memory")" unit=MB target="<= 300" section=simulator
printf "%-34s %12s   (target <= 300; %s bytes per packet)\n" "RSS MB per million stored packets" "$(field mb_per_million "$memory")" "$(field bytes_per_packet "$memory")"

echo
echo "== Routing: decisions/s by number of entities (100 appids), and registry load time"
line="$("$BIN" bench routing --seconds "$SECONDS_PER" --files 1000)"
r10="$(sed -E 's/.*"entities_10":([0-9]+).*/\1/' <<<"$line")"
r1k="$(sed -E 's/.*"entities_1000":([0-9]+).*/\1/' <<<"$line")"
r10k="$(sed -E 's/.*"entities_10000":([0-9]+).*/\1/' <<<"$line")"
load="$(sed -E 's/.*"load_1000_files_ms":([0-9]+).*/\1/' <<<"$line")"
printf "%-28s %12s\n" "10 entities/s" "$r10" "1,000 entities/s" "$r1k" "10,000 entities/s" "$r10k"
printf "%-28s %12s   (target <= 2.00)\n" "cost ratio 10k/10" "$(awk -v a="$r10" -v b="$r10k" 'BEGIN {printf "%.2f", a / b}')"
printf "%-28s %12s\n" "load 1,000 files (ms)" "$load"
figure name=routing_cost_10k_over_10 value="$r10" unit="decisions/s" baseline="$r10k" baseline_name=routing_10000_entities_per_s target="<= 2" section=routing
figure name=routing_load_1000_files_ms value="$load" unit=ms section=routing

echo
# The simulator's benchmarks wrote gigabytes of journal: on disk before the gateway's
# commits wait for their flushes beside it.
sync
BIN="$BIN" bash scripts/bench-gateway.sh
