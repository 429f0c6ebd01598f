#!/usr/bin/env bash
# Development stack: local cluster, migrations, the gateway on 127.0.0.1:8080.
# Ctrl-C stops everything it started.
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
"$BIN" migrate
echo "gateway: http://127.0.0.1:${HONGBAO_PORT:-8080}  (DATABASE_URL=$DATABASE_URL)"
"$BIN" serve --host 127.0.0.1 --port "${HONGBAO_PORT:-8080}" &
pids+=($!)
wait -n "${pids[@]}"
