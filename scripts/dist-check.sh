#!/usr/bin/env bash
# Checks a release tarball as an operator would meet it: unpacked into an empty temporary
# folder, nothing from this repository on the way but a throwaway PostgreSQL cluster
# (scripts/pg.sh, HONGBAO_PG_NAME=dist, destroyed afterwards). From the unpacked folder:
#   - its SHA256SUMS, layout, `bin/hongbao --version` (the commit), what the binary links
#     dynamically (no Swift runtime; libpq and libcurl only beyond glibc), no writable and
#     executable segment (MemoryDenyWriteExecute=yes);
#   - the systemd units (systemd-analyze verify and its offline exposure score) and the
#     env template (every HONGBAO_* the source reads is named in it);
#   - bin/hongbao simulator + simulator register of the example merchants.d, migrate (the
#     migrations compiled in: the tarball has no migrations folder), serve started exactly
#     as hongbao.service starts it (its ExecStart and Environment= expanded over an env
#     file made from hongbao.env.example, env -i, a working directory of its own), a tenant
#     and a test key, one POST /v1/redpacks taken to sent and then received, audit verify,
#     a signed checkpoint verified, and a graceful SIGTERM.
# Every process it starts is stopped on the way out, whatever happened.
#   scripts/dist-check.sh dist/out/hongbao-<version>-<commit>-linux-<arch>.tar.gz
# HONGBAO_DIST_KEEP=1 keeps the temporary folder (logs included) for a look afterwards.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 <hongbao-…tar.gz>" >&2; exit 2; }
TARBALL="$(realpath "$1")"
# The source folders the binary was built from, colon-separated (make dist names the
# hongbao product's targets; else all of this repository's Sources).
IFS=: read -r -a SOURCE <<<"${HONGBAO_DIST_SOURCE:-$REPO/Sources}"
for i in "${!SOURCE[@]}"; do SOURCE[$i]="$(realpath "${SOURCE[$i]}")"; done
NAME="$(basename "$TARBALL" .tar.gz)"
[[ "$NAME" =~ ^hongbao-([0-9][0-9A-Za-z.]*)-([0-9a-f]{7,40}(-dirty)?)-linux-([a-z0-9_]+)$ ]] \
    || { echo "dist-check: $NAME is not hongbao-<version>-<commit>-linux-<arch>" >&2; exit 2; }
VERSION="${BASH_REMATCH[1]}"; COMMIT="${BASH_REMATCH[2]}"
for tool in curl jq python3 sha256sum tar ldd readelf; do
    command -v "$tool" >/dev/null || { echo "dist-check: $tool is missing" >&2; exit 1; }
done

started=$SECONDS
WORK="$(mktemp -d /tmp/hongbao-dist-check.XXXXXX)"
export HONGBAO_PG_NAME=dist
unset HONGBAO_PG_DIR
pids=()
checks=0
ok() { checks=$((checks + 1)); printf '  ok  %s\n' "$*"; }
fail() {
    printf '  FAIL %s\n' "$*" >&2
    for log in "$WORK"/*.log; do
        [ -s "$log" ] || continue
        echo "--- the end of $(basename "$log"):" >&2
        tail -n 15 "$log" >&2
    done
    exit 1
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    bash "$REPO/scripts/pg.sh" destroy >/dev/null 2>&1 || true
    if [ "${HONGBAO_DIST_KEEP:-}" = 1 ]; then echo "dist-check: kept $WORK" >&2; else rm -rf "$WORK"; fi
    if [ $rc -eq 0 ]; then
        echo "dist-check: passed ($checks checks, $((SECONDS - started)) s)"
    else
        echo "dist-check: FAILED after $checks checks ($((SECONDS - started)) s)" >&2
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # URL WHAT
    for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
    fail "$2 did not answer at $1"
}

echo "dist-check: $NAME in $WORK"

# --- The tarball --------------------------------------------------------------------------
mkdir -p "$WORK/unpacked"
tar -xzf "$TARBALL" -C "$WORK/unpacked"
[ "$(ls "$WORK/unpacked")" = "$NAME" ] || fail "the tarball's one top folder is $NAME (found: $(ls "$WORK/unpacked" | tr '\n' ' '))"
PKG="$WORK/unpacked/$NAME"
cd "$PKG"
BIN="$PKG/bin/hongbao"
(sha256sum --quiet -c SHA256SUMS) >"$WORK/sha256.log" 2>&1 || fail "SHA256SUMS inside the tarball: $(head -3 "$WORK/sha256.log")"
ok "SHA256SUMS: $(wc -l <SHA256SUMS) files match"
for f in bin/hongbao systemd/hongbao.service systemd/hongbao@.service hongbao.env.example INSTALL.md VERSION \
         docs/deploy.md docs/operations.md docs/security.md openapi.yaml merchants.d/acme-sh.toml; do
    [ -f "$f" ] || fail "the tarball has no $f"
done
[ -x bin/hongbao ] || fail "bin/hongbao is not executable"
[ ! -e migrations ] || fail "the tarball carries a migrations folder (they belong in the binary)"
ok "layout: bin/hongbao, systemd/, hongbao.env.example, merchants.d/ ($(ls merchants.d | wc -l) examples), docs/; no migrations/"

version_line="$("$BIN" --version)"
[ "$version_line" = "$VERSION (commit $COMMIT)" ] || fail "bin/hongbao --version says '$version_line', not '$VERSION (commit $COMMIT)'"
[ "$(cat VERSION)" = "$version_line" ] || fail "VERSION says '$(cat VERSION)', the binary '$version_line'"
ok "bin/hongbao --version: $version_line"

# Dynamic libraries: glibc's, libpq's and libcurl's, never the Swift runtime (it is static).
ldd "$BIN" >"$WORK/ldd.txt" 2>&1 || fail "ldd bin/hongbao failed: $(cat "$WORK/ldd.txt")"
! grep -q "not found" "$WORK/ldd.txt" || fail "bin/hongbao misses libraries here: $(grep 'not found' "$WORK/ldd.txt")"
! grep -Eq "libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime" "$WORK/ldd.txt" \
    || fail "bin/hongbao links the Swift runtime dynamically: $(grep -E 'swift|Foundation|dispatch' "$WORK/ldd.txt")"
grep -q "libpq.so.5" "$WORK/ldd.txt" && grep -q "libcurl.so.4" "$WORK/ldd.txt" || fail "bin/hongbao does not link libpq.so.5 and libcurl.so.4"
needed="$(readelf -dW "$BIN" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | tr '\n' ' ')"
ok "links dynamically (NEEDED): $needed"
# MemoryDenyWriteExecute=yes needs no segment both writable and executable, nor an executable stack.
# (readelf prints a program header's flags as R, W and E in three columns: RWE is all three.)
segments="$(readelf -lW "$BIN")"
grep -qE '^\s+GNU_STACK' <<<"$segments" || fail "bin/hongbao has no GNU_STACK header (an executable stack by default)"
! grep -E '^\s+[A-Z_]+\s+0x' <<<"$segments" | grep -q 'RWE' \
    || fail "bin/hongbao has a writable and executable segment: $(grep RWE <<<"$segments")"
ok "no writable+executable segment, no executable stack (MemoryDenyWriteExecute=yes)"

# --- The units and the env template --------------------------------------------------------
mkdir -p "$WORK/units"
for unit in hongbao.service hongbao@.service; do
    # systemd-analyze verify wants ExecStart's binary to exist: the unpacked one stands in.
    sed "s#/usr/local/bin/hongbao#$BIN#" "systemd/$unit" >"$WORK/units/$unit"
done
if command -v systemd-analyze >/dev/null; then
    (cd "$WORK/units" && systemd-analyze verify ./hongbao.service) >"$WORK/verify.log" 2>&1 || fail "systemd-analyze verify hongbao.service: $(cat "$WORK/verify.log")"
    [ ! -s "$WORK/verify.log" ] || fail "systemd-analyze verify hongbao.service says: $(cat "$WORK/verify.log")"
    cp "$WORK/units/hongbao@.service" "$WORK/units/hongbao@check.service"
    (cd "$WORK/units" && systemd-analyze verify ./hongbao@check.service) >"$WORK/verify.log" 2>&1 || fail "systemd-analyze verify hongbao@.service: $(cat "$WORK/verify.log")"
    [ ! -s "$WORK/verify.log" ] || fail "systemd-analyze verify hongbao@.service says: $(cat "$WORK/verify.log")"
    rm -f "$WORK/verify.log"
    exposure="$(cd "$WORK/units" && systemd-analyze security --offline=yes ./hongbao.service 2>/dev/null | sed -nE 's/.*Overall exposure level for [^:]*: ([0-9.]+ [A-Z]+).*/\1/p')"
    [ -n "$exposure" ] || fail "systemd-analyze security --offline=yes gave no exposure level"
    ok "systemd-analyze verify: both units clean; security --offline exposure: $exposure"
else
    echo "  --   systemd-analyze missing: the units are only parsed below"
fi

# The emulation of what systemd does with the unit: Environment=, EnvironmentFile= and
# ExecStart='s ${VAR} (one word) and $VAR (split at whitespace), as systemd.service(5) says.
cat >"$WORK/unit.py" <<'PY'
import re, shlex, sys

def unit_service(path):
    """The [Service] section's assignments, in order (a key may repeat)."""
    section, out = None, []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        key, _, value = line.partition("=")
        if section == "[Service]":
            out.append((key.strip(), value.strip()))
    return out

def env_file(path):
    env = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            sys.exit(f"{path}: not KEY=value: {line}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key] = value
    return env

def expand(word, env):
    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
        return env.get(word[1:], "").split()
    return [re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word)]

command = sys.argv[1]
if command == "compose":
    # compose TEMPLATE OUT KEY=VALUE…: the template with these keys set (uncommented);
    # a key the template does not name is an error (the template must list every setting).
    template, out, pairs = sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:])
    lines, seen = [], set()
    for line in open(template, encoding="utf-8"):
        m = re.match(r"#?([A-Z][A-Z0-9_]*)=", line)
        if m and m.group(1) in pairs:
            key = m.group(1)
            if key not in seen:
                lines.append(f'{key}="{pairs[key]}"\n')
                seen.add(key)
            continue
        lines.append(line)
    missing = sorted(set(pairs) - seen)
    if missing:
        sys.exit(f"{template} has no line for {', '.join(missing)}")
    open(out, "w", encoding="utf-8").writelines(lines)
elif command == "argv":
    # argv UNIT ENVFILE BIN: the process systemd would start, NUL-separated: the
    # environment (KEY=VALUE…), an empty field, then the command line.
    unit, envfile, binary = sys.argv[2:5]
    env = {}
    for key, value in unit_service(unit):
        if key == "Environment":
            env.update(dict(a.split("=", 1) for a in shlex.split(value)))
        elif key == "EnvironmentFile":
            env.update(env_file(envfile))
    starts = [v for k, v in unit_service(unit) if k == "ExecStart"]
    if len(starts) != 1:
        sys.exit(f"{unit}: {len(starts)} ExecStart= lines")
    words = [w for word in shlex.split(starts[0]) for w in expand(word, env)]
    if words[0] != "/usr/local/bin/hongbao":
        sys.exit(f"{unit}: ExecStart runs {words[0]}, not /usr/local/bin/hongbao")
    words[0] = binary
    sys.stdout.write("\0".join([f"{k}={v}" for k, v in env.items()] + [""] + words) + "\0")
elif command == "keys":
    # keys UNIT: the [Service] keys, sorted (both units must harden alike).
    print("\n".join(sorted({k for k, _ in unit_service(sys.argv[2])})))
PY
emul() { python3 "$WORK/unit.py" "$@"; }
single_keys="$(emul keys systemd/hongbao.service)"
[ "$single_keys" = "$(emul keys systemd/hongbao@.service)" ] || fail "hongbao.service and hongbao@.service set different [Service] keys"
for key in User NoNewPrivileges ProtectSystem ProtectHome PrivateTmp PrivateDevices CapabilityBoundingSet RestrictAddressFamilies \
           SystemCallFilter MemoryDenyWriteExecute LockPersonality RestrictNamespaces ProtectKernelTunables ProtectKernelModules \
           ProtectControlGroups ProtectClock UMask StateDirectory ConfigurationDirectory EnvironmentFile Restart TimeoutStopSec KillSignal; do
    grep -qx "$key" <<<"$single_keys" || fail "hongbao.service sets no $key="
done
ok "both units set the same $(wc -l <<<"$single_keys") [Service] keys, every hardening option expected among them"
# The names come from the source the binary was built from (HONGBAO_DIST_SOURCE): a
# release binary keeps a string of up to 15 bytes inside the instructions, where
# `strings` finds only fragments of it.
names="$(grep -rhoE '"HONGBAO_[A-Z0-9_]+"' "${SOURCE[@]}" | tr -d '"' | sort -u)"
[ "$(wc -l <<<"$names")" -ge 20 ] || fail "found only $(wc -l <<<"$names") HONGBAO_* names in ${SOURCE[*]}"
unnamed=()
for name in $names; do
    case "$name" in
        # The client side of send-batch and import-p12's password: not the service's settings.
        HONGBAO_API_KEY|HONGBAO_GATEWAY_URL|HONGBAO_P12_PASSWORD) continue ;;
    esac
    grep -q "\b$name\b" hongbao.env.example || unnamed+=("$name")
done
[ ${#unnamed[@]} -eq 0 ] || fail "hongbao.env.example does not name ${unnamed[*]}, which bin/hongbao reads"
ok "hongbao.env.example names every one of the $(wc -l <<<"$names") HONGBAO_* settings in the source of ${#SOURCE[@]} targets (but send-batch's and import-p12's)"

# --- A throwaway database ------------------------------------------------------------------
bash "$REPO/scripts/pg.sh" destroy >/dev/null 2>&1 || true
bash "$REPO/scripts/pg.sh" start >/dev/null
APP_URL="$(bash "$REPO/scripts/pg.sh" app-url)"
OWNER_URL="$(bash "$REPO/scripts/pg.sh" owner-url)"
ok "PostgreSQL cluster '$HONGBAO_PG_NAME' ($(bash "$REPO/scripts/pg.sh" url | sed -E 's#.*@##'))"

# Nothing of the caller's environment reaches hongbao: each run gets only what it is given.
CLEAN=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8)
mkdir -p "$WORK/home"

# --- The simulator and the example merchants -------------------------------------------------
SIM_PORT="$(free_port)"; CONTROL_PORT="$(free_port)"
SIM="http://127.0.0.1:$CONTROL_PORT"
"${CLEAN[@]}" "$BIN" simulator --listen "127.0.0.1:$SIM_PORT" --control "127.0.0.1:$CONTROL_PORT" --state-dir .hongbao/sim \
    >"$WORK/simulator.log" 2>&1 &
pids+=($!)
wait_for "$SIM/_sim/clock" "the simulator"
# The examples name the simulator at its default port; this one listens where it could.
sed -i "s#https://127.0.0.1:9443#https://127.0.0.1:$SIM_PORT#" merchants.d/*.toml
"${CLEAN[@]}" "$BIN" simulator register --control "$SIM" --merchants merchants.d >"$WORK/register.log" 2>&1 \
    || fail "simulator register --merchants merchants.d"
ok "simulator on :$SIM_PORT, $(ls merchants.d/*.toml | wc -l) example entities registered"

# --- migrate, as the owner, with the migrations compiled in ----------------------------------
"${CLEAN[@]}" MIGRATE_DATABASE_URL="$OWNER_URL" "$BIN" migrate >"$WORK/migrate.log" 2>&1 || fail "bin/hongbao migrate (no --migrations)"
status="$("${CLEAN[@]}" MIGRATE_DATABASE_URL="$OWNER_URL" "$BIN" migrate --status --json)"
applied="$(jq '[.[] | select(.state == "applied")] | length' <<<"$status")"
total="$(jq length <<<"$status")"
[ "$applied" -gt 0 ] && [ "$applied" = "$total" ] || fail "migrate --status: $applied of $total applied"
ok "bin/hongbao migrate, no --migrations: $(tail -1 "$WORK/migrate.log" | sed -E 's/(migration\(s\)):.*/\1/') ($applied of $total applied)"

# --- serve, as hongbao.service starts it ------------------------------------------------------
PORT="$(free_port)"; METRICS_PORT="$(free_port)"
while [ "$METRICS_PORT" = "$PORT" ]; do METRICS_PORT="$(free_port)"; done
GW="http://127.0.0.1:$PORT"
mkdir -p "$WORK/etc/secrets" "$WORK/var-lib-hongbao/audit-checkpoints"
chmod 700 "$WORK/etc/secrets" "$WORK/var-lib-hongbao"
(umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' >"$WORK/etc/secrets/admin-token")
"${CLEAN[@]}" "$BIN" audit keygen --private-key "$WORK/etc/secrets/audit-signing.pem" --public-key "$WORK/etc/audit-signing.pub.pem" >/dev/null
KEK="$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')"
emul compose hongbao.env.example "$WORK/etc/hongbao.env" \
    HONGBAO_HOST=127.0.0.1 HONGBAO_PORT="$PORT" HONGBAO_METRICS_PORT="$METRICS_PORT" \
    HONGBAO_SERVE_ARGS="--admin-token-file $WORK/etc/secrets/admin-token" \
    DATABASE_URL="$APP_URL" PGPASSFILE="$WORK/etc/secrets/pgpass" HONGBAO_MERCHANTS_DIR="$PKG/merchants.d" HONGBAO_KEK="$KEK" \
    HONGBAO_AUDIT_CHECKPOINT_DIR="$WORK/var-lib-hongbao/audit-checkpoints" HONGBAO_AUDIT_SIGNING_KEY="$WORK/etc/secrets/audit-signing.pem" \
    HONGBAO_AUDIT_CHECKPOINT_INTERVAL=1 \
    || fail "the env file made from hongbao.env.example"
chmod 600 "$WORK/etc/hongbao.env"
: >"$WORK/etc/secrets/pgpass"; chmod 600 "$WORK/etc/secrets/pgpass"   # trust authentication: no password
emul argv systemd/hongbao.service "$WORK/etc/hongbao.env" "$BIN" >"$WORK/argv.bin" || fail "expanding hongbao.service's ExecStart"
mapfile -d '' process <"$WORK/argv.bin"
unit_env=(); argv=(); in_argv=0
for field in "${process[@]}"; do
    if [ $in_argv = 0 ]; then
        if [ -z "$field" ]; then in_argv=1; else unit_env+=("$field"); fi
    else argv+=("$field"); fi
done
[ "${argv[1]:-}" = serve ] || fail "hongbao.service's ExecStart is not 'hongbao serve …': ${argv[*]}"
# The unit's working directory (StateDirectory), not the unpacked folder: serve needs no files beside it.
(cd "$WORK/var-lib-hongbao" && umask 077 && exec "${CLEAN[@]}" "${unit_env[@]}" "${argv[@]}") >"$WORK/serve.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
wait_for "$GW/healthz" "serve"
ready="$(curl -s "$GW/readyz")"
[ "$(jq -r .status <<<"$ready")" = ok ] || fail "/readyz: $ready"
curl -sf -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics" || fail "/metrics on :$METRICS_PORT"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$GW/admin" -H "Authorization: Bearer $(cat "$WORK/etc/secrets/admin-token")")" = 200 ] \
    || fail "/admin with the admin token from HONGBAO_SERVE_ARGS"
ok "serve as hongbao.service runs it (${argv[*]:1}): /readyz ok, /metrics on :$METRICS_PORT, /admin on"

# --- A tenant, a test key, one red packet ----------------------------------------------------
# The CLI as docs/deploy.md runs it: the service's env file read by a shell (set -a).
CLI=("${CLEAN[@]}" bash -c 'set -a; . "$0"; set +a; exec "$@"' "$WORK/etc/hongbao.env" "$BIN")
"${CLI[@]}" tenant add dist-check --actor dist-check >/dev/null || fail "bin/hongbao tenant add"
KEY="$("${CLI[@]}" key issue --tenant dist-check --test --label dist-check --actor dist-check --json | jq -r .key)"
[[ "$KEY" == hb_test_* ]] || fail "bin/hongbao key issue --test gave no hb_test_ key"
ok "tenant dist-check with a test key"
code="$(curl -s -o "$WORK/send.json" -w '%{http_code}' "$GW/v1/redpacks" -H "Authorization: Bearer $KEY" \
    -H "Idempotency-Key: dist-check-1" -H 'Content-Type: application/json' \
    -d '{"appid":"wx8888888888888888","openid":"oDistCheck00000000000000001","amount_fen":100,"wishing":"恭喜发财","act_name":"dist","remark":"dist-check"}')"
[ "$code" = 201 ] || [ "$code" = 202 ] || fail "POST /v1/redpacks answered $code: $(cat "$WORK/send.json")"
ID="$(jq -r .id "$WORK/send.json")"; MCH="$(jq -r .mch_id "$WORK/send.json")"; BILLNO="$(jq -r .billno "$WORK/send.json")"
status=""
for _ in $(seq 1 300); do
    status="$(curl -s "$GW/v1/redpacks/$ID" -H "Authorization: Bearer $KEY" | jq -r .status)"
    [ "$status" = sent ] && break
    case "$status" in failed|needs_attention) fail "the red packet went $status: $(curl -s "$GW/v1/redpacks/$ID" -H "Authorization: Bearer $KEY")" ;; esac
    sleep 0.1
done
[ "$status" = sent ] || fail "the red packet is $status, not sent, after 30 s"
curl -sf -X POST "$SIM/_sim/redpacks/$MCH/$BILLNO/receive" >/dev/null || fail "the simulator's receive of $BILLNO"
status="$(curl -s -X POST "$GW/v1/redpacks/$ID/refresh" -H "Authorization: Bearer $KEY" | jq -r .status)"
[ "$status" = received ] || fail "after the user opened it, refresh says $status, not received"
ok "POST /v1/redpacks answered $code; sent by $MCH as $BILLNO, then received"

# --- The audit trail --------------------------------------------------------------------------
"${CLI[@]}" audit verify >"$WORK/verify.txt" 2>&1 || fail "bin/hongbao audit verify: $(cat "$WORK/verify.txt")"
ok "bin/hongbao audit verify: $(tail -1 "$WORK/verify.txt")"
"${CLI[@]}" audit checkpoint --signing-key "$WORK/etc/secrets/audit-signing.pem" --out "$WORK/checkpoint.json" >/dev/null \
    || fail "bin/hongbao audit checkpoint"
"${CLI[@]}" audit verify --checkpoint "$WORK/checkpoint.json" --public-key "$WORK/etc/audit-signing.pub.pem" >"$WORK/verify.txt" 2>&1 \
    || fail "audit verify --checkpoint: $(cat "$WORK/verify.txt")"
written="$(ls "$WORK/var-lib-hongbao/audit-checkpoints" | grep -c '^audit-checkpoint-.*\.json$' || true)"
[ "$written" -ge 1 ] || fail "serve wrote no checkpoint into HONGBAO_AUDIT_CHECKPOINT_DIR"
latest="$(ls "$WORK/var-lib-hongbao/audit-checkpoints"/audit-checkpoint-*.json | sort | tail -1)"
"${CLI[@]}" audit verify --checkpoint "$latest" --public-key "$WORK/etc/audit-signing.pub.pem" >/dev/null 2>&1 \
    || fail "audit verify against serve's latest checkpoint $(basename "$latest")"
ok "audit checkpoints: one signed now and $written written by serve, the trail verified against both"

# --- Backup and restore, as docs/deploy.md does them ---------------------------------------------
# pg_dump as the owner; then one more audited change and a checkpoint that covers it; the
# dump restored into a new database: its trail verifies, holds to the checkpoint taken
# before the dump, and is caught short of the one taken after.
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
"$PGBIN/pg_dump" --format=custom --file="$WORK/backup.dump" "$OWNER_URL" 2>"$WORK/pg_dump.log" || fail "pg_dump as the owner: $(cat "$WORK/pg_dump.log")"
"${CLI[@]}" tenant add dist-check-after-backup --actor dist-check >/dev/null || fail "tenant add after the backup"
"${CLI[@]}" audit checkpoint --signing-key "$WORK/etc/secrets/audit-signing.pem" --out "$WORK/checkpoint-after-backup.json" >/dev/null \
    || fail "audit checkpoint after the backup"
psql "$(bash "$REPO/scripts/pg.sh" url)" -qc "CREATE DATABASE hongbao_restored OWNER hongbao_owner" >/dev/null
"$PGBIN/pg_restore" --no-owner --exit-on-error --dbname="${OWNER_URL%/*}/hongbao_restored" "$WORK/backup.dump" 2>"$WORK/pg_restore.log" \
    || fail "pg_restore --no-owner as the owner: $(cat "$WORK/pg_restore.log")"
sed "s#^DATABASE_URL=.*#DATABASE_URL=\"${APP_URL%/*}/hongbao_restored\"#" "$WORK/etc/hongbao.env" >"$WORK/etc/restored.env"
RESTORED=("${CLEAN[@]}" bash -c 'set -a; . "$0"; set +a; exec "$@"' "$WORK/etc/restored.env" "$BIN")
pending="$("${CLEAN[@]}" MIGRATE_DATABASE_URL="${OWNER_URL%/*}/hongbao_restored" "$BIN" migrate --status --json | jq '[.[] | select(.state != "applied")] | length')"
[ "$pending" = 0 ] || fail "the restored database has $pending migrations not applied"
[ "$("${RESTORED[@]}" payouts show "$ID" --json | jq -r .payout.status)" = received ] || fail "the restored database does not have the red packet as received"
"${RESTORED[@]}" audit verify >/dev/null 2>&1 || fail "audit verify on the restored database"
"${RESTORED[@]}" audit verify --checkpoint "$WORK/checkpoint.json" --public-key "$WORK/etc/audit-signing.pub.pem" >/dev/null 2>&1 \
    || fail "the restored trail does not hold to the checkpoint taken before the backup"
rc=0; "${RESTORED[@]}" audit verify --checkpoint "$WORK/checkpoint-after-backup.json" --public-key "$WORK/etc/audit-signing.pub.pem" >"$WORK/verify.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "audit verify of the restored trail against a checkpoint newer than the backup exited $rc, not 1: $(cat "$WORK/verify.txt")"
ok "pg_dump + pg_restore --no-owner: migrations current, the payout there, the trail verifies and holds to the checkpoint before the backup; against the one after: $(grep -m1 -o 'broken.*' "$WORK/verify.txt")"

# MemoryDenyWriteExecute=yes: after a send, the running gateway has no writable+executable mapping.
! grep -qE '^\S+ [-r]wx' "/proc/$serve_pid/maps" || fail "serve has a writable and executable mapping: $(grep -E '^\S+ [-r]wx' "/proc/$serve_pid/maps" | head -3)"
ok "serve's memory maps: nothing writable and executable"

# --- A graceful stop ----------------------------------------------------------------------------
stop_started=$SECONDS
kill -TERM "$serve_pid"
rc=0; wait "$serve_pid" || rc=$?
pids=("${pids[@]/$serve_pid}")
[ $rc -eq 0 ] || fail "serve exited $rc on SIGTERM"
ok "SIGTERM: serve stopped cleanly in $((SECONDS - stop_started)) s (TimeoutStopSec=45s)"
