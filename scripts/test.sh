#!/usr/bin/env bash
# Builds once, starts a throwaway cluster of its own (named "test", so a running
# `make run` keeps its cluster), runs every test target in parallel, runs the transport
# lifecycle under AddressSanitizer, and stops the cluster on the way out whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
export HONGBAO_PG_NAME=test
swift build --build-tests
trap 'bash scripts/pg.sh stop' EXIT
DATABASE_URL="$(bash scripts/pg.sh start)"
export DATABASE_URL
swift test --skip-build --parallel
bash scripts/asan-transport.sh
