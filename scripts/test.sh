#!/usr/bin/env bash
# Builds once, starts a fresh throwaway cluster of its own (named "test" unless
# HONGBAO_PG_NAME says otherwise, so a running `make run` keeps its cluster, and two
# worktrees' runs can keep apart), runs every test target in parallel, runs the transport
# lifecycle under AddressSanitizer, and stops the cluster on the way out whatever happened.
# Then, from outside the process: the operations kit through promtool, the tenant API
# against its own openapi.yaml (schemathesis), and a CI-sized soak; each starts and stops
# a cluster of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
export HONGBAO_PG_NAME="${HONGBAO_PG_NAME:-test}"
# Our own code builds without a warning (dependencies' warnings are theirs): a warning
# that names a file under Sources/ or Tests/ fails the run.
build_log="$(mktemp)"
swift build --build-tests 2>&1 | tee "$build_log"
if grep -E "^$PWD/(Sources|Tests)/[^:]+:[0-9]+:[0-9]+: warning:" "$build_log" | sort -u | grep .; then
    echo "our code has build warnings (above): fix them" >&2
    exit 1
fi
rm -f "$build_log"
trap 'bash scripts/pg.sh stop' EXIT
# A fresh cluster every run: each test makes databases of its own, and a cluster kept from
# run to run grows until connecting to it is slow (seen as connect timeouts). The last
# run's cluster stays until the next run, for a look at what a failed test left.
bash scripts/pg.sh destroy
DATABASE_URL="$(bash scripts/pg.sh start)"
export DATABASE_URL
# At most four test cases at once: each starts simulators, gateways or PostgreSQL sessions,
# and with every case of every suite at once two cores starved the in-process simulators
# past their 10 s timeouts (seen in clean-clone runs). Four keeps both cores busy.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=4
# The suites that kill and restart processes (gateways, PostgreSQL) run after the rest, on
# their own: on two cores, their child processes starved the in-process simulators of the
# other suites past their 10 s timeouts.
swift test --skip-build --parallel --skip "ChaosTests|CrashTests"
swift test --skip-build --parallel --filter "ChaosTests|CrashTests"
bash scripts/asan-transport.sh
# The alert rules (promtool check + unit tests) and the dashboard's queries and metric names.
bash scripts/check-ops.sh
# schemathesis, --checks all, a small example count and a fixed seed (make fuzz: large).
HONGBAO_BIN=.build/debug/hongbao bash scripts/schemathesis.sh small
# Three minutes of mixed traffic with WeChat's faults (make soak: an hour): RSS, descriptors
# and connections flat after the warm-up, no error drift, the invariants at the end.
SOAK_MINUTES=3 SOAK_SAMPLE_SECONDS=15 HONGBAO_BIN=.build/debug/hongbao bash scripts/soak.sh
