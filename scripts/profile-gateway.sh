#!/usr/bin/env bash
# Where the CPU goes per payout, on the benchmark's realistic pool (scripts/bench/gateway-setup.sh):
#   1. the release gateway alone, one client: perf samples of the gateway process;
#   2. the whole machine at 32 clients: perf samples of every process (gateway, PostgreSQL,
#      simulator, bench client), by program and by function.
# perf samples the cpu-clock (this VM has no hardware counters). valgrind's callgrind
# would count instructions repeatably, but valgrind 3.19 (Debian 12) stops on Swift 6
# binaries ("possibly corrupted debuginfo"; with the debug info stripped, an internal
# SIGSEGV), so perf it is. Prints the top functions; keeps perf's files in PROFILE_DIR.
#   PROFILE_SECONDS  seconds per profile (default 20)
#   PROFILE_DIR      where perf's data goes (default: a temporary folder)
#   BIN              the hongbao binary (default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    swift build -c release --scratch-path .build-release --product hongbao >/dev/null
    BIN="$(swift build -c release --scratch-path .build-release --show-bin-path)/hongbao"
fi
SECONDS_PER="${PROFILE_SECONDS:-20}"
MIGRATIONS="${BENCH_MIGRATIONS:-migrations}"
export HONGBAO_PG_NAME=bench
DATABASE_URL="$(bash scripts/pg.sh start)"
work="$(mktemp -d)"
DIR="${PROFILE_DIR:-$work/perf}"
mkdir -p "$DIR"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
    bash scripts/pg.sh stop
}
trap cleanup EXIT
source scripts/bench/gateway-setup.sh
start_gateway 32
issue_tenants
APPID_FLAGS=(); for a in "${APPIDS[@]}"; do APPID_FLAGS+=(--appid "$a"); done
load() { "$BIN" bench gateway --url "$GW_URL" --keys-file "$work/keys.txt" "${APPID_FLAGS[@]}" --users 1000000 --min-fen 100 --max-fen 20000 \
    --clients "$1" --seconds "$2"; }
top() { # perf data, sort keys, count
    { perf report -i "$1" --no-children --sort "$2" --stdio 2>/dev/null || true; } | grep -E '^ +[0-9.]+%' | head -"$3" | \
        swift demangle --simplified | sed -E 's/ +/ /g' | cut -c1-160 || true
}
# Context switches of every thread of the gateway, so far.
switches() { cat /proc/"${gateway_pids[0]}"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }
load 8 5 >/dev/null
echo "== The gateway alone, 1 client, ${SECONDS_PER} s (share of the gateway's samples)"
before="$(switches)"
load 1 "$SECONDS_PER" > "$work/one.json" &
loader=$!
perf record -q -e cpu-clock -F 1999 -o "$DIR/gateway.data" -p "${gateway_pids[0]}" -- sleep "$SECONDS_PER" 2>/dev/null
wait "$loader"
rate="$(sed -nE 's/.*"per_s":([0-9]+).*/\1/p' "$work/one.json")"
echo "payouts/s: $rate; gateway context switches per payout: $(awk -v d="$(( $(switches) - before ))" -v n="$rate" -v s="$SECONDS_PER" 'BEGIN {printf "%.1f", d / (n * (s + 1))}')"
echo "-- by library"
top "$DIR/gateway.data" dso 6
echo "-- by function"
top "$DIR/gateway.data" dso,symbol 12
echo
echo "== The whole machine, 32 clients, ${SECONDS_PER} s (share of all samples)"
load 32 "$SECONDS_PER" > "$work/many.json" &
loader=$!
perf record -q -a -e cpu-clock -F 999 -o "$DIR/all.data" -- sleep "$SECONDS_PER" 2>/dev/null
wait "$loader"
echo "payouts/s: $(sed -nE 's/.*"per_s":([0-9]+).*/\1/p' "$work/many.json")"
echo "-- by program"
top "$DIR/all.data" comm 8
echo "-- by function"
top "$DIR/all.data" comm,symbol 15
