// Gateway — the business rules of moving money (DESIGN.md §4–§5). No HTTP here.
//
// What it owns:
// - `PayoutEngine`: a tenant's order → exactly one red packet. Idempotency (a key per
//   tenant: same body → the stored answer, other body → conflict), `Acceptance`
//   (transaction 1: key, reservations, payout, billno, audit — committed before any byte
//   goes upstream), the upstream call, `Settlement` (transaction 2: attempt, status,
//   released reservations, cool-down, failover with a new billno only after a definite
//   failure, audit, outbox, stored answer). `SendVerdict` is the table from WeChat's answer
//   to paid / nothing paid / unknown; unknown is never re-routed.
// - `PayoutStatus`: the statuses and their allowed changes (the database trigger holds
//   the same table).
// - `Reservations` + `Placement`: every limit (per user per day, a 60-second slot ring per
//   merchant, merchant daily amount, tenant budget) as a conditional upsert in PostgreSQL,
//   so N instances on one database never exceed one; routing proposes, reservation decides.
// - One state machine over payout kinds: red packets (normal, group) and enterprise
//   payments (`transfer`). `Delivery` is the send loop both the engine and the reconciler
//   run; `UpstreamCalls` builds each kind's request from the recorded row (a resend is
//   identical) and `UpstreamAnswers` turns WeChat's answers into the payout's terms.
// - `QueryApplication`: what gethbinfo / gettransferinfo says → status, receivers,
//   refunds (releasing what WeChat released).
// - `Reconciler` (+ `DuePayouts`, `ReconcileSchedule`): takes every payout to its final
//   state — claims due payouts with SKIP LOCKED and a lease, queries open sends and
//   resends the same billno only when WeChat never kept it, follows sent packets to
//   received/refunded, hands what WeChat can no longer answer to `needs_attention`.
// - `PayoutSearch`: payouts across tenants for operators (`hongbao payouts`).
// - `TenantStore`, `APIKeyStore`, `APIKey`: tenants and their keys (SHA-256 + lookup,
//   checksum refused before any lookup, test/live mode).
// - `AuditVerifier`: re-derives every hash chain link in one snapshot (the chains are
//   written by the SQL function `audit_append`, one chain per tenant stripe and one for
//   admin actions), optionally held to an `AuditCheckpoint`: every chain head signed with
//   an Ed25519 `AuditSigningKey` kept outside the database (`AuditPublicKey` checks it),
//   which catches what the database owner can do undetected inside it. `WriteOnceFile`
//   writes keys and checkpoints without ever replacing a file.
// - `UsageReport`, `TenantUsage`, `PayoutListing`: what operators and tenants read.
// - Webhooks (docs/webhooks.md): `WebhookStore` (tenants' endpoints, deliveries, attempts;
//   add/remove/enable/redeliver audited), `WebhookDispatcher` (claims due deliveries with a
//   lease, signs them — `WebhookSignature`, `WebhookSecret` — and POSTs `WebhookPayload`
//   through the libcurl transport; retries with backoff per `WebhookSettings`; keeps events
//   of one payout in order; disables endpoints that keep failing). Deliveries are fanned
//   out from the outbox by a trigger (migration 0009), so the engine only writes the outbox.
//   `WebhookTarget` (URL shape, https in live mode) and `WebhookTargetGuard` (resolve with a
//   `HostResolver`, refuse `ForbiddenAddress` ranges, pin the checked address) stop SSRF.
