#!/usr/bin/env bash
# Development stack: local cluster, migrations (as the database owner), the WeChat Pay
# simulator with the example merchants registered in it, the gateway (as the
# least-privilege app role), and a demo tenant with a test-mode API key. Ctrl-C stops it
# all; a second run reuses the cluster, the simulator's state and the same key.
#
# Ports (defaults): HONGBAO_PORT 8080 (gateway), HONGBAO_METRICS_PORT 9464 (gateway /metrics,
# loopback only), HONGBAO_SIM_PORT 9443 (simulator HTTPS,
# must match base_url in merchants.d), HONGBAO_SIM_CONTROL_PORT 9080 (simulator control).
# HONGBAO_RUN_NO_BUILD=1 skips `swift build` and HONGBAO_BIN names the binary (the
# quick-start test, which runs a copy of the project with the binary it has built).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${HONGBAO_PORT:-8080}"
SIM_PORT="${HONGBAO_SIM_PORT:-9443}"
SIM_CONTROL_PORT="${HONGBAO_SIM_CONTROL_PORT:-9080}"
METRICS_PORT="${HONGBAO_METRICS_PORT:-9464}"
GW="http://127.0.0.1:${PORT}"
SIM="http://127.0.0.1:${SIM_CONTROL_PORT}"
STATE=.hongbao
KEY_FILE="$STATE/demo-api-key"

[ "${HONGBAO_RUN_NO_BUILD:-}" = 1 ] || swift build
BIN="${HONGBAO_BIN:-$(swift build --show-bin-path)/hongbao}"
bash scripts/pg.sh start >/dev/null
DATABASE_URL="$(bash scripts/pg.sh app-url)"
MIGRATE_DATABASE_URL="$(bash scripts/pg.sh owner-url)"
export DATABASE_URL MIGRATE_DATABASE_URL
pids=()
cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    bash scripts/pg.sh stop
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

wait_for() { # URL WHAT
    for _ in $(seq 1 300); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "$2 did not come up at $1" >&2
    return 1
}

"$BIN" simulator --listen "127.0.0.1:${SIM_PORT}" --control "127.0.0.1:${SIM_CONTROL_PORT}" --state-dir "$STATE/sim" &
pids+=($!)
wait_for "$SIM/_sim/clock" "the simulator"
"$BIN" simulator register --control "$SIM" --merchants merchants.d
"$BIN" migrate
"$BIN" merchant list

# The dashboard's admin token: made once, private to you, reused.
ADMIN_TOKEN_FILE="$STATE/admin-token"
[ -s "$ADMIN_TOKEN_FILE" ] || (umask 077; openssl rand -hex 32 >"$ADMIN_TOKEN_FILE")
chmod 600 "$ADMIN_TOKEN_FILE"

# The key-encryption key webhook signing secrets are sealed with: made once, kept, reused
# (a new one would leave the secrets already sealed unreadable).
KEK_FILE="$STATE/kek"
[ -s "$KEK_FILE" ] || (umask 077; openssl rand -base64 32 >"$KEK_FILE")
chmod 600 "$KEK_FILE"
# An HONGBAO_KEK you exported yourself wins (the demo's secrets are then sealed under it).
HONGBAO_KEK="${HONGBAO_KEK:-$(cat "$KEK_FILE")}"
export HONGBAO_KEK

"$BIN" serve --host 127.0.0.1 --port "$PORT" --metrics-port "$METRICS_PORT" --admin-token-file "$ADMIN_TOKEN_FILE" &
pids+=($!)
wait_for "$GW/healthz" "the gateway"

# The demo tenant and its test-mode key: created once, kept in .hongbao (never committed,
# readable by you only); a key revoked or expired since is replaced.
"$BIN" tenant show demo >/dev/null 2>&1 || "$BIN" tenant add demo --actor make-run >/dev/null
key_works() { [ -s "$KEY_FILE" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$GW/v1/usage" -H "Authorization: Bearer $(cat "$KEY_FILE")")" = 200 ]; }
if key_works; then
    key_note="the demo tenant's test key is in $KEY_FILE (issued by an earlier make run)"
else
    issued="$("$BIN" key issue --tenant demo --test --label "make run demo" --actor make-run --json)"
    (umask 077; sed -nE 's/.*"key" *: *"([^"]+)".*/\1/p' <<<"$issued" >"$KEY_FILE")
    key_note="a test-mode API key for the demo tenant, shown this once and saved in $KEY_FILE:
  $(cat "$KEY_FILE")"
fi

cat <<INFO

gateway:   $GW   (openapi: $GW/openapi.yaml; metrics: http://127.0.0.1:${METRICS_PORT}/metrics)
dashboard: $GW/admin   (sign in with the token in $ADMIN_TOKEN_FILE)
simulator: https://127.0.0.1:${SIM_PORT}   (control: $SIM)
$key_note

In another terminal in this folder (hongbao finds this database by itself):

  GW=$GW SIM=$SIM KEY=\$(cat $KEY_FILE)
  # send a red packet: 201 sent, or 202 while WeChat's answer is pending
  R=\$(curl -s \$GW/v1/redpacks -H "Authorization: Bearer \$KEY" -H "Idempotency-Key: demo-\$RANDOM" \\
    -H 'Content-Type: application/json' \\
    -d '{"appid":"wx8888888888888888","openid":"oDemoUser0000000000000000001","amount_fen":100,"wishing":"恭喜发财","act_name":"demo","remark":"make run"}')
  echo "\$R" | jq .
  # read it back, let the user open it in the simulator, and see it received
  ID=\$(jq -r .id <<<"\$R"); MCH=\$(jq -r .mch_id <<<"\$R"); BILLNO=\$(jq -r .billno <<<"\$R")
  curl -s \$GW/v1/redpacks/\$ID -H "Authorization: Bearer \$KEY" | jq .status
  curl -s -X POST \$SIM/_sim/redpacks/\$MCH/\$BILLNO/receive >/dev/null
  curl -s -X POST \$GW/v1/redpacks/\$ID/refresh -H "Authorization: Bearer \$KEY" | jq .status

Ctrl-C stops everything; make run again picks up where this left off.

INFO
wait -n "${pids[@]}"
