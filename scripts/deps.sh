#!/usr/bin/env bash
# Installs the Debian packages hongbao needs, only when something is missing.
# Quiet when everything is present; runs `apt-get update` once before installing.
#   scripts/deps.sh          what building and `make run` need (curl and jq: its copy-paste lines)
#   scripts/deps.sh --pgbouncer  as --test, and PgBouncer (`make test-pgbouncer`)
#   scripts/deps.sh --test   also what `make test` needs: chromium (the dashboard test loads
#                            /admin in headless Chromium) and python3-yaml (docs/api.md's check)
#                            and prometheus (its promtool checks ops/: scripts/check-ops.sh)
#                            and python3-venv (scripts/schemathesis.sh installs schemathesis in one)
set -euo pipefail
packages=(libpq-dev libcurl4-openssl-dev postgresql postgresql-contrib openssl curl jq)
[ "${1:-}" = "--test" ] && packages+=(python3-yaml chromium prometheus python3-venv)
[ "${1:-}" = "--pgbouncer" ] && packages+=(python3-yaml chromium prometheus python3-venv pgbouncer)
need=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
