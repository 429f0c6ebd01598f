#!/usr/bin/env bash
# The tenant API against its own openapi.yaml, with schemathesis (PyPI) and every check it
# has (`--checks all`): no 5xx, every status, header, content type and body as the spec
# says, schema-valid requests accepted and invalid ones refused, 405 with `Allow` for
# undeclared methods, links followed (POST → GET/DELETE by id), and tenant B's key never
# reaching what tenant A's key made (scripts/schemathesis/hooks.py).
#
#   bash scripts/schemathesis.sh small   make test: 6 examples per operation and a short
#                                        stateful phase (about 3,000 cases, 1.5 minutes on
#                                        two cores)
#   bash scripts/schemathesis.sh large   make fuzz: 500 examples per operation and longer
#                                        stateful scenarios (about 13,000 cases, 6 minutes)
#   bash scripts/schemathesis.sh hold    the same world, no schemathesis: prints where the
#                                        gateway and tenant A's key are and waits (Ctrl-C),
#                                        to replay a failure's curl line by hand
#
# Everything it starts is its own: a fresh PostgreSQL cluster (HONGBAO_PG_NAME=schemathesis),
# the simulator with the example merchants (a copy of merchants.d on free ports), the
# gateway, and two tenants with a test-mode key each; all are stopped on the way out. The
# seed is fixed (HONGBAO_SCHEMATHESIS_SEED overrides it), so a failure comes back with the
# same command. schemathesis is installed from PyPI, at the versions of
# scripts/schemathesis/requirements.txt, into .hongbao/schemathesis-venv (made once).
# Reports (JUnit XML, NDJSON events; the key masked) go to .hongbao/schemathesis/<mode>.
# Exits non-zero on any failure.
#   HONGBAO_BIN   the hongbao binary (default: `swift build`, then .build/debug/hongbao)
#   HONGBAO_SCHEMATHESIS_EXAMPLES   examples per operation instead of the mode's
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-small}"
case "$MODE" in
small) EXAMPLES=6; STEPS=6 ;;
large) EXAMPLES=500; STEPS=20 ;;
hold) EXAMPLES=0; STEPS=0 ;;
*) echo "usage: $0 small|large|hold" >&2; exit 2 ;;
esac
EXAMPLES="${HONGBAO_SCHEMATHESIS_EXAMPLES:-$EXAMPLES}"
SEED="${HONGBAO_SCHEMATHESIS_SEED:-20260520}"
command -v python3 >/dev/null || { echo "schemathesis needs python3 (and python3-venv: scripts/deps.sh --test)" >&2; exit 1; }
# Its own cluster even when called from a script that exported another name (make test).
export HONGBAO_PG_NAME=schemathesis

# schemathesis in a virtualenv of its own, at pinned versions; made again when they change.
VENV=.hongbao/schemathesis-venv
REQUIREMENTS=scripts/schemathesis/requirements.txt
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

if [ -z "${HONGBAO_BIN:-}" ]; then
    swift build --product hongbao
    HONGBAO_BIN="$(swift build --show-bin-path)/hongbao"
fi
BIN="$HONGBAO_BIN"
[ -x "$BIN" ] || { echo "no hongbao binary at $BIN" >&2; exit 1; }
REPORTS=".hongbao/schemathesis/$MODE"
rm -rf "$REPORTS"; mkdir -p "$REPORTS"
REPORTS="$(cd "$REPORTS" && pwd)"
# The world's secrets (simulator keys, the KEK, the API keys) live in a private temporary
# directory, removed on the way out.
world="$(umask 077; mktemp -d "${TMPDIR:-/tmp}/hongbao-schemathesis.XXXXXX")"

pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    bash scripts/pg.sh stop || true
    rm -rf "$world"
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

bash scripts/pg.sh destroy
bash scripts/pg.sh start >/dev/null
CLI_URL="$(bash scripts/pg.sh app-url)"
DATABASE_URL="$CLI_URL" MIGRATE_DATABASE_URL="$(bash scripts/pg.sh owner-url)" "$BIN" migrate --migrations migrations >/dev/null

# The simulator, its state beside a copy of merchants.d (the files name ../.hongbao/sim and
# ../.hongbao/merchants), with base_url pointing at this simulator's port.
sim_port="$(free_port)"; control_port="$(free_port)"
CONTROL="http://127.0.0.1:$control_port"
mkdir -p "$world/merchants.d" "$world/.hongbao"
for f in merchants.d/*.toml; do
    sed -E "s#^base_url = \"https://127.0.0.1:[0-9]+\"#base_url = \"https://127.0.0.1:$sim_port\"#" "$f" > "$world/merchants.d/$(basename "$f")"
done
"$BIN" simulator --listen "127.0.0.1:$sim_port" --control "127.0.0.1:$control_port" --state-dir "$world/.hongbao/sim" \
    >"$REPORTS/simulator.log" 2>&1 &
sim_pid=$!; pids+=("$sim_pid")
wait_for "$CONTROL/_sim/clock" "the simulator" "$sim_pid"
"$BIN" simulator register --control "$CONTROL" --merchants "$world/merchants.d" --balance-fen 100000000000 >/dev/null

# The gateway as deployed: webhook targets must be public (the SSRF guard on), a KEK so
# endpoints can be registered.
(umask 077; openssl rand -base64 32 > "$world/kek")
port="$(free_port)"; metrics_port="$(free_port)"
GW="http://127.0.0.1:$port"
DATABASE_URL="$CLI_URL" HONGBAO_KEK="$(cat "$world/kek")" LOG_LEVEL=warning \
    "$BIN" serve --host 127.0.0.1 --port "$port" --metrics-port "$metrics_port" --merchants "$world/merchants.d" \
    --migrations migrations >"$REPORTS/gateway.log" 2>&1 &
gateway_pid=$!; pids+=("$gateway_pid")
wait_for "$GW/readyz" "the gateway" "$gateway_pid"

# Two tenants with a test-mode key each: A's is the one schemathesis sends with, B's the
# one the cross-tenant probes send with. Keys go to schemathesis in a Web Fuzzing Commons
# auth file (never on a command line).
for t in a b; do
    DATABASE_URL="$CLI_URL" "$BIN" tenant add "schemathesis-$t" --actor schemathesis >/dev/null
    DATABASE_URL="$CLI_URL" "$BIN" key issue --tenant "schemathesis-$t" --test --label schemathesis --actor schemathesis --json \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])' > "$world/key-$t"
done
python3 - "$world" <<'PY'
import json, os, sys
world = sys.argv[1]
users = [{"name": f"tenant-{t}", "fixedHeaders": [{"name": "Authorization", "value": "Bearer " + open(f"{world}/key-{t}").read().strip()}]}
         for t in "ab"]
fd = os.open(f"{world}/auth.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump({"schemaVersion": "0.2.0", "auth": users}, f)
PY

if [ "$MODE" = hold ]; then
    echo "gateway $GW; tenant A's key in $world/key-a, B's in $world/key-b; Ctrl-C stops it all"
    echo "  KEY=\$(cat $world/key-a); curl -H \"Authorization: Bearer \$KEY\" $GW/v1/usage"
    wait "$gateway_pid"
    exit 1
fi
export HONGBAO_SCHEMATHESIS_URL="$GW" HONGBAO_SCHEMATHESIS_AUTH="$world/auth.json"
export HONGBAO_SCHEMATHESIS_KEY_B_FILE="$world/key-b" HONGBAO_SCHEMATHESIS_KEY_A_FILE="$world/key-a"
export HONGBAO_SCHEMATHESIS_REPORTS="$REPORTS"
export SCHEMATHESIS_HOOKS=scripts/schemathesis/hooks.py
started=$(date +%s)
status=0
# The committed settings, and this mode's number of steps per stateful scenario.
{ cat scripts/schemathesis/schemathesis.toml; printf '\n[phases.stateful]\nmax-steps = %d\n' "$STEPS"; } > "$world/schemathesis.toml"
"$VENV/bin/schemathesis" --config-file "$world/schemathesis.toml" --no-color run "$GW/openapi.yaml" \
    --checks all --seed "$SEED" --max-examples "$EXAMPLES" --workers 1 \
    --report junit,ndjson --report-dir "$REPORTS" || status=$?
echo "schemathesis ($MODE, seed $SEED): exit $status after $(( $(date +%s) - started )) s; reports in $REPORTS"
echo "(dropped.ndjson there: schema-valid requests refused by a rule openapi.yaml cannot express)"
# The cross-tenant check proves nothing unless it had objects of every kind to probe.
touch "$REPORTS/cross-tenant.ndjson"
python3 - "$REPORTS/cross-tenant.ndjson" <<'PY' || status=1
import collections, json, sys
kinds = collections.Counter(json.loads(line)["kind"] for line in open(sys.argv[1]))
print("tenant A's objects probed with tenant B's key: " + ", ".join(f"{kinds[k]} {k}s" for k in ("redpack", "transfer", "campaign", "webhook")))
missing = [k for k in ("redpack", "transfer", "campaign", "webhook") if not kinds[k]]
if missing:
    sys.exit("no " + ", ".join(missing) + " made by tenant A to probe: the cross-tenant check saw too little")
PY
exit "$status"
