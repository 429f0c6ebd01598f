#!/usr/bin/env bash
# Development stack: local cluster, migrations, the WeChat Pay simulator with the example
# merchants registered in it, and the gateway on 127.0.0.1:8080. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
BIN="$(swift build --show-bin-path)/hongbao"
DATABASE_URL="$(bash scripts/pg.sh start)"
export DATABASE_URL
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
echo "gateway: http://127.0.0.1:${HONGBAO_PORT:-8080}   simulator: https://127.0.0.1:9443 (control http://127.0.0.1:9080)"
echo "DATABASE_URL=$DATABASE_URL"
"$BIN" serve --host 127.0.0.1 --port "${HONGBAO_PORT:-8080}" &
pids+=($!)
wait -n "${pids[@]}"
