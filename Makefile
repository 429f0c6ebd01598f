# hongbao — make run | make test | make fuzz | make soak | make dist | make bench | make chaos   (see README.md)
SHELL := /bin/bash

.PHONY: deps build run test test-pgbouncer bench profile fuzz chaos dist soak pg-start pg-stop

deps:
	@bash scripts/deps.sh

build: deps
	swift build

# Local cluster + migrations + simulator + example merchants + gateway on 127.0.0.1:8080.
run: deps
	@bash scripts/run.sh

# The whole test suite against a throwaway cluster (stopped afterwards, even on failure).
test:
	@bash scripts/deps.sh --test
	@bash scripts/test.sh

# The test suite again with every connection through PgBouncer in transaction mode.
test-pgbouncer:
	@bash scripts/deps.sh --pgbouncer
	@bash scripts/test-pgbouncer.sh

# Benchmarks, printed as ratios against baselines measured in the same run; writes
# bench/results.json and bench/throughput.svg, and fails when a figure is missing.
bench: deps
	@bash scripts/bench.sh

# Where the CPU goes per payout (perf): the gateway alone, then the whole machine.
profile: deps
	@bash scripts/profile-gateway.sh

# The parsers under libFuzzer + AddressSanitizer (FUZZ_SECONDS per target, default 120;
# crashes kept in fuzz/<target>/regressions), then schemathesis on the API at full size.
fuzz:
	@bash scripts/deps.sh --test
	@bash scripts/fuzz.sh

# The crash and fault suite at full size (2,000 sends per scenario); prints the invariant figures.
chaos: deps
	@bash scripts/chaos.sh

# The release tarball (dist/out/): a static-Swift release build, packed with the systemd
# units and the env template, unpacked and checked in an empty folder; prints its figures.
dist:
	@bash scripts/dist.sh

# An hour of mixed traffic with WeChat's faults and merchant reloads (SOAK_MINUTES): RSS,
# descriptors and database connections flat, no error-rate drift, the invariants at the end.
soak:
	@bash scripts/deps.sh
	@bash scripts/soak.sh

pg-start:
	@bash scripts/pg.sh start

pg-stop:
	@bash scripts/pg.sh stop
