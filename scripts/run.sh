#!/usr/bin/env bash
# Development stack: local cluster, migrations (as the database owner), the WeChat Pay
# simulator with the example merchants registered in it, and the gateway on
# 127.0.0.1:8080 (as the least-privilege app role). Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
BIN="$(swift build --show-bin-path)/hongbao"
bash scripts/pg.sh start >/dev/null
DATABASE_URL="$(bash scripts/pg.sh app-url)"
MIGRATE_DATABASE_URL="$(bash scripts/pg.sh owner-url)"
export DATABASE_URL MIGRATE_DATABASE_URL
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    bash scripts/pg.sh stop
}
trap cleanup EXIT INT TERM

"$BIN" simulator --listen 127.0.0.1:9443 --control 127.0.0.1:9080 --state-dir .hongbao/sim &
pids+=($!)
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:9080/_sim/clock >/dev/null && break; sleep 0.1; done
"$BIN" simulator register --control http://127.0.0.1:9080 --merchants merchants.d
"$BIN" migrate
"$BIN" merchant list
PORT="${HONGBAO_PORT:-8080}"
cat <<INFO

gateway:   http://127.0.0.1:${PORT}   (openapi: http://127.0.0.1:${PORT}/openapi.yaml)
simulator: https://127.0.0.1:9443      (control: http://127.0.0.1:9080)
In another terminal in this folder, hongbao finds this database by itself:
  .build/debug/hongbao tenant add demo
  .build/debug/hongbao key issue --tenant demo --test
and then send a red packet with the key it prints (README: "Send a red packet").

INFO
"$BIN" serve --host 127.0.0.1 --port "$PORT" &
pids+=($!)
wait -n "${pids[@]}"
