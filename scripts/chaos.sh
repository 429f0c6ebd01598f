#!/usr/bin/env bash
# make chaos: the crash and fault suite (Tests/EndToEndTests/ChaosTests.swift) at full size —
# 2,000 sends with both gateways killed -9 again and again, and 2,000 with PostgreSQL
# restarted under load, every simulator fault on — then the invariant figures:
#   chaos: <scenario>: sends=… duplicates=… lost=… non_final=… ledger_difference_fen=… (…)
# `make test` runs the same scenarios at a small size. Sizes can be overridden:
#   HONGBAO_CHAOS_SENDS, HONGBAO_CHAOS_KILLS, HONGBAO_CHAOS_PG_SENDS, HONGBAO_CHAOS_PG_RESTARTS
set -euo pipefail
cd "$(dirname "$0")/.."
export HONGBAO_PG_NAME=chaos-main
export HONGBAO_CHAOS_SENDS="${HONGBAO_CHAOS_SENDS:-2000}"
export HONGBAO_CHAOS_KILLS="${HONGBAO_CHAOS_KILLS:-8}"
export HONGBAO_CHAOS_PG_SENDS="${HONGBAO_CHAOS_PG_SENDS:-2000}"
export HONGBAO_CHAOS_PG_RESTARTS="${HONGBAO_CHAOS_PG_RESTARTS:-3}"
swift build --build-tests
trap 'bash scripts/pg.sh stop' EXIT
DATABASE_URL="$(bash scripts/pg.sh start)"
export DATABASE_URL
log="$(mktemp)"
status=0
swift test --skip-build --filter ChaosTests > "$log" 2>&1 || status=$?
grep -a -E "✘|recorded an issue" "$log" || true
echo
grep -a "^chaos:" "$log" || { echo "no figures: the scenarios did not run (see $log)" >&2; exit 1; }
[ "$status" -eq 0 ] && echo "all invariants held" || echo "FAILED (full output: $log)"
exit "$status"
