#!/usr/bin/env bash
# Installs the Debian packages hongbao needs, only when something is missing.
# Quiet when everything is present; runs `apt-get update` once before installing.
set -euo pipefail
need=()
# chromium: the dashboard test loads /admin in headless Chromium; jq and python3-yaml: the
# README's quick start and docs/api.md's generator.
for pkg in libpq-dev libcurl4-openssl-dev postgresql postgresql-contrib openssl curl jq python3-yaml chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
