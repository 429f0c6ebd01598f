// Webhooks: tenants' HTTPS endpoints and the delivery of payout events to them
// (docs/webhooks.md). Nothing here names a payout's internals: events arrive as rows of the
// outbox, fanned out into deliveries by a trigger (migration 0009), so the engine only
// writes the outbox and this module only reads it.
//
// - `WebhookStore` (tenants' endpoints, deliveries, attempts;
//   add/remove/enable/redeliver audited), `WebhookDispatcher` (claims due deliveries with a
//   lease, signs them — `WebhookSignature`, `WebhookSecret` — and POSTs `WebhookPayload`
//   through the libcurl transport; retries with backoff per `WebhookSettings`; keeps events
//   of one payout in order; disables endpoints that keep failing).
// - `WebhookTarget` (URL shape, https in live mode) and `WebhookTargetGuard` (resolve with a
//   `HostResolver`, refuse `ForbiddenAddress` ranges, pin the checked address) stop SSRF.
//
// Fairness: the claim caps attempts in flight per tenant and per endpoint across
// instances (an advisory lock makes claims take turns), and resolving a host has a
// deadline, so one tenant's stalled receivers or name servers hold only its share.
// `SecretSealer` seals each endpoint's signing secret under HONGBAO_KEK; `WakeSignal`
// wakes the dispatcher on NOTIFY.
//
// Depends on Tenants (callers), Merchants (modes), Audit, Postgres and Transport (the
// libcurl client with a pinned address) — not on payouts. Refusals are `WebhookError`s.
