# The gateway benchmark's world, sourced by scripts/bench-gateway.sh and
# scripts/profile-gateway.sh (which set BIN, DATABASE_URL, MIGRATIONS, work and pids):
# a migrated database with the app role (ADMIN_URL, APP_URL), a release simulator
# (CONTROL), the entities in $work/merchants.d, start_gateway (GATEWAY_WRAPPER runs the
# gateway under a tool, such as valgrind) and issue_tenants.
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
DATABASE_URL="$ADMIN_URL" "$BIN" migrate --migrations "$MIGRATIONS" >/dev/null
psql "$ADMIN_URL" -qc "GRANT hongbao_app TO hongbao_bench_gw" >/dev/null
APP_URL="$(sed -E 's#//[^@]*@#//hongbao_bench_gw@#' <<<"$ADMIN_URL")"
PGDATA_DIR="$(bash scripts/pg.sh dir)/data"

# Simulator (strict durability off: it is the upstream, not what is measured).
sim_port="$(free_port)"; control_port="$(free_port)"
CONTROL="http://127.0.0.1:$control_port"
"$BIN" simulator --listen "127.0.0.1:$sim_port" --control "127.0.0.1:$control_port" --state-dir "$work/sim" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "$CONTROL/_sim/clock" >/dev/null && break; sleep 0.1; done

# Entities: the realistic pool (100 over 10 appids, WeChat's own limits), a hot pool of 4
# on one appid, and three small groups whose limits the last section drives past.
mkdir -p "$work/merchants.d"
entity() { # name mch_id appid per_minute per_user_per_day daily_fen
    cat > "$work/merchants.d/$1.toml" <<TOML
kind = "wechatpay.v2"
name = "$1"
mch_id = "$2"
appids = [ { id = "$3", type = "mp" } ]
send_name = "bench"
api_key = { file = "../secrets/$1/api_key" }
cert = "../secrets/$1/apiclient_cert.pem"
key = { file = "../secrets/$1/apiclient_key.pem" }
base_url = "https://127.0.0.1:$sim_port"
ca_file = "../sim/ca.pem"
onboarded_on = 2020-01-01
trading_since = 2020-01-01
redpack_enabled = true
limits = { per_minute = $4, per_user_per_day = $5, min_fen = 100, max_fen = 20000, daily_fen = $6 }
tenants = ["*"]
mode = "test"
TOML
}
APPIDS=(); for a in $(seq 0 9); do APPIDS+=("wx90000000000000$(printf %02d "$a")"); done
for i in $(seq 0 99); do entity "pool-$i" "$((1910000000 + i))" "${APPIDS[$((i % 10))]}" 1800 10 900000000000; done
for i in 1 2 3 4; do entity "hot-$i" "193000000$i" wx9200000000000000 20000 1000 900000000000; done
for i in 1 2 3 4 5; do
    entity "minute-$i" "194000000$i" wx9100000000000001 20 1000 900000000000
    entity "user-$i" "194000001$i" wx9100000000000002 1800 2 900000000000
    entity "budget-$i" "194000002$i" wx9100000000000003 1800 1000 900000000000
done
"$BIN" simulator register --control "$CONTROL" --merchants "$work/merchants.d" --balance-fen 900000000000 >/dev/null

gateway_pids=()
GATEWAY_FLAGS=()
start_gateway() { # pool size; sets GW_URL and GW_METRICS (its /metrics port)
    local port metrics pid attempt
    # A free port can be taken between the check and the bind: then another one.
    for attempt in 1 2 3; do
        port="$(free_port)"; metrics="$(free_port)"
        DATABASE_URL="$APP_URL" LOG_LEVEL=warning ${GATEWAY_WRAPPER:-} "$BIN" serve --port "$port" --metrics-port "$metrics" --merchants "$work/merchants.d" \
            --migrations "$MIGRATIONS" --db-pool-size "$1" "${GATEWAY_FLAGS[@]}" >/dev/null 2>>"$work/gateway.log" &
        pid=$!
        for _ in $(seq 1 "${READY_TRIES:-300}"); do
            curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
        kill "$pid" 2>/dev/null || true
        [ "$attempt" = 3 ] && { echo "gateway on $port did not become ready:" >&2; tail -20 "$work/gateway.log" >&2; exit 1; }
    done
    pids+=("$pid"); gateway_pids+=("$pid")
    GW_URL="http://127.0.0.1:$port"; GW_METRICS="$metrics"
}
# 50 tenants with a test key each (keys.txt, the first also hot-key.txt), and a tenant with a
# daily budget (budget-key.txt). Needs a gateway to have migrated and seen the entities.
issue_tenants() {
for t in $(seq 0 49); do
    DATABASE_URL="$APP_URL" "$BIN" tenant add "bench-$t" >/dev/null
    DATABASE_URL="$APP_URL" "$BIN" key issue --tenant "bench-$t" --test --json | sed -nE 's/.*"key" : "([^"]+)".*/\1/p' >> "$work/keys.txt"
done
[ "$(wc -l < "$work/keys.txt")" = 50 ] || { echo "could not issue the 50 tenants' keys" >&2; exit 1; }
head -1 "$work/keys.txt" > "$work/hot-key.txt"
BUDGET_FEN=1000000
DATABASE_URL="$APP_URL" "$BIN" tenant add bench-budgeted --daily-budget-fen "$BUDGET_FEN" >/dev/null
DATABASE_URL="$APP_URL" "$BIN" key issue --tenant bench-budgeted --test --json | sed -nE 's/.*"key" : "([^"]+)".*/\1/p' > "$work/budget-key.txt"
}

