#!/usr/bin/env bash
# The HTTPSClient lifecycle scenarios (Tests/TransportTests/ClientLifecycleScenarios.swift)
# under AddressSanitizer: the Transport module and the scenarios are compiled with
# -sanitize=address straight from their sources (seconds, not a second full package
# build) and run; any ASan report or wrong outcome fails.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
common=(-swift-version 6 -sanitize=address -g -Onone -I Sources/CCurl)
# The linker's notes about ASan's local symbols are noise; show them only if a step fails.
quiet() { "$@" >"$out/log" 2>&1 || { cat "$out/log" >&2; return 1; }; }
quiet swiftc "${common[@]}" -parse-as-library -emit-module -emit-library -static -module-name Transport \
    -emit-module-path "$out/Transport.swiftmodule" -o "$out/libTransport.a" Sources/Transport/*.swift
quiet swiftc "${common[@]}" -module-name TransportASan -I "$out" -L "$out" -lTransport -lcurl \
    -o "$out/transport-asan" Tests/TransportTests/ClientLifecycleScenarios.swift Tests/TransportASan/main.swift
echo "== HTTPSClient lifecycle under AddressSanitizer"
ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" "$out/transport-asan"
