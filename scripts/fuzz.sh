#!/usr/bin/env bash
# make fuzz: the parsers under libFuzzer with AddressSanitizer, then the API contract under
# schemathesis at full size.
#
# 1. Builds hongbao-fuzz (Sources/Fuzz, targets in Sources/FuzzTargets) with
#    --sanitize=fuzzer --sanitize=address in .build-fuzz (a build of its own: the first
#    takes as long as a debug build).
# 2. Runs each target for FUZZ_SECONDS (default 120) on a working corpus that starts from
#    the committed seeds (fuzz/<target>/seeds, taken from the tests) and grows in
#    .build-fuzz/corpus across runs; prints runs, runs/s, coverage, corpus growth, peak RSS.
# 3. A crash, leak-free timeout or sanitizer report is copied to fuzz/<target>/regressions/
#    — FuzzRegressionTests replays that folder in `make test`, so commit it with the fix —
#    and the run fails naming it.
# 4. scripts/schemathesis.sh large (FUZZ_SKIP_SCHEMATHESIS=1 skips it).
# FUZZ_TARGETS="wechat-xml api-json" runs only those; FUZZ_SCRATCH names another build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-120}"
targets=(${FUZZ_TARGETS:-wechat-xml merchant-toml batch-lines api-json})
scratch="${FUZZ_SCRATCH:-.build-fuzz}"
# One -sanitize= flag naming both: swiftc keeps only the last of several, so SwiftPM's own
# --sanitize=fuzzer --sanitize=address would compile Swift for ASan alone (no coverage, and
# libFuzzer finds nothing); those stay for the C targets and the link.
flags=(--scratch-path "$scratch" --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)

echo "== building hongbao-fuzz with libFuzzer and AddressSanitizer ($scratch)"
build_start=$SECONDS
build_log="$(mktemp)"
if ! swift build "${flags[@]}" --product hongbao-fuzz >"$build_log" 2>&1; then
    grep -E "error" "$build_log" | head -20 >&2
    echo "hongbao-fuzz did not build (log: $build_log)" >&2
    exit 1
fi
rm -f "$build_log"
bin="$(swift build "${flags[@]}" --show-bin-path)/hongbao-fuzz"
echo "built in $((SECONDS - build_start)) s"

rows=()
failed=()
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    crashes="$scratch/crashes/$target"
    mkdir -p "$corpus" "$crashes" "fuzz/$target/regressions"
    log="$scratch/$target.log"
    before=$(find "$corpus" -type f | wc -l)
    echo "== $target for ${seconds} s (corpus $corpus, seeds fuzz/$target/seeds)"
    # Leaks are not what this looks for (the Swift runtime keeps caches for the process's
    # life); timeouts and memory blow-ups are: -timeout and -rss_limit_mb report them.
    status=0
    HONGBAO_FUZZ_TARGET="$target" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" "$bin" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "fuzz/$target/seeds" >"$log" 2>&1 || status=$?
    after=$(find "$corpus" -type f | wc -l)
    # A build without coverage still runs, and finds nothing: say so instead of passing.
    if grep -q "Is the code instrumented for coverage" "$log"; then
        echo "libFuzzer saw no coverage in $target: the build is not instrumented (see the flags above)" >&2
        exit 1
    fi
    stat() { sed -nE "s/^stat::$1: *([0-9]+).*/\1/p" "$log" | tail -1; }
    coverage="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)"
    rows+=("$(printf '%-14s %12s %10s %-22s %8s %8s %6s' "$target" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
        "${coverage:-cov: ?}" "$before→$after" "$(stat peak_rss_mb)" "$status")")
    found=("$crashes"/*)
    if [ "$status" -ne 0 ] || [ -e "${found[0]}" ]; then
        for artifact in "$crashes"/*; do
            [ -e "$artifact" ] || continue
            cp "$artifact" "fuzz/$target/regressions/"
            failed+=("fuzz/$target/regressions/$(basename "$artifact")")
            rm "$artifact"
        done
        [ ${#failed[@]} -gt 0 ] || failed+=("$target exited $status: see $log")
        grep -E "ERROR|SUMMARY|==[0-9]+==" "$log" | head -20 >&2 || true
    fi
done

echo
echo "== libFuzzer, ${seconds} s per target"
printf '%-14s %12s %10s %-22s %8s %8s %6s\n' target runs runs/s coverage corpus rss_mb exit
printf '%s\n' "${rows[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashes, kept as regression tests (fix, then commit them):" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi

if [ "${FUZZ_SKIP_SCHEMATHESIS:-}" != 1 ]; then
    echo
    bash scripts/schemathesis.sh large
fi
