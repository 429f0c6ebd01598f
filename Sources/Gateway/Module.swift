// Gateway — the business rules of moving money (the payout-engine stage; empty today).
//
// What it will own (DESIGN.md §4–§5): the payout engine (accept → commit → send →
// record, exactly once), idempotency keys, reservations against limits (implementing
// `Merchants.CapacityProvider` in PostgreSQL), the per-merchant rate limiter, the
// hash-chained audit trail, the reconciler that resolves `unknown` payouts with the same
// billno, and the webhook outbox. It knows nothing of HTTP routing.
