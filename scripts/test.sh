#!/usr/bin/env bash
# Builds once, starts the throwaway cluster, runs every test target in parallel,
# and stops the cluster on the way out whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
trap 'bash scripts/pg.sh stop' EXIT
DATABASE_URL="$(bash scripts/pg.sh start)"
export DATABASE_URL
swift test --skip-build --parallel
