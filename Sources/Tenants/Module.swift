// Tenants: the SaaS businesses that send through the gateway, and their API keys.
//
// - `Tenant`, `TenantStore`: tenants (name, daily budget per mode, enabled), every change
//   audited on the admin chain.
// - `APIKey`: the key format — `hb_live_…`/`hb_test_…`, a lookup part and a secret part
//   with a checksum that refuses a mistyped key before any lookup; the database keeps only
//   the secret's SHA-256.
// - `APIKeyStore`: issue, list, revoke, rotate (the old key kept for an overlap), and
//   `authenticate`, which decides revoked and expired on the database's clock and answers
//   a `Caller` — the tenant and mode every later step is scoped to (I5).
//
// Depends on Audit (every change is recorded), Merchants (the mode type) and Postgres.
// Refusals are `TenantError`s.
