// API — the tenant-facing HTTP application (Hummingbird 2).
//
// What it owns: `buildApplication` (wires dependencies explicitly and returns the
// app; tests call the same function), `buildRouter` (registers routes only), and the
// controllers: health/readiness today; red packets, usage, webhooks, metrics and
// openapi.yaml as the payout-engine stage lands (DESIGN.md §6). Errors leave as
// application/problem+json. Nothing below this module imports Hummingbird.
