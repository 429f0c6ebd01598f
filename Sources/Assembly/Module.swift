// Assembly — the composition root: one place that builds a gateway from its settings.
//
// What it owns:
// - `GatewaySettings`: every setting that more than one part must agree on, in one value —
//   the `PayoutPolicy` the engine and the reconciler share (the schedule and its graces,
//   the most entities one payout may be tried on, the longest upstream call, the longest
//   wait for a database connection), the engine's own (how long a POST waits, refresh
//   limits), the reconciler's own (batch, concurrency, lease) and how stale the merchant
//   state cache may be. `problems()` says why a combination is unsafe (a grace or a lease
//   shorter than what it must cover); `Gateway.open` refuses such settings, so every process
//   does (the CLI says so earlier, naming the flag). Tests that build a `Gateway` from parts
//   may shorten graces on purpose.
// - `Gateway`: the parts built from those settings — the merchant registry, the database
//   pool, the upstream transport and its WeChat client, the merchant state cache, the
//   engine — and the reconciler over the same parts. `Gateway.open` loads the merchants
//   directory and proves the database before anything else starts; `Gateway.with` scopes
//   a gateway to a closure and closes it (drain, transport, pool) whatever the closure did.
//   The pool's acquire timeout and the transport's total timeout are taken from the policy,
//   so the limits `problems()` checks are the limits that really bound a call.
//
// Who uses it: `hongbao serve`, `payouts refresh`, `reconcile` and `status` (the CLI only
// parses flags into settings), and the test harness — so every process and every test wires
// the same engine the same way. The HTTP application is built on top of a `Gateway` in API.
//
// What it does not own: HTTP (API), the payout rules (Payouts), webhooks' delivery
// (Webhooks, wired by `serve` beside the gateway).
