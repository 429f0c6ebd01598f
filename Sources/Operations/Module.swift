// Operations: the one read model operators look at — `hongbao status`, the `/admin`
// dashboard and `/metrics` read the same facts from here, so they never disagree.
//
// - `StatusReport` (+ `StatusFacts`, `MerchantStatus`, `MerchantStanding`, `SendsToday`,
//   `Backlog`, `WebhookBacklog`): every entity's eligibility and today's usage against its
//   limits, tenants' budgets, today's sends, the open payouts by status, the webhook
//   backlog and the audit trail's state, read in one snapshot in bounded time.
// - `MetricsReadModel`: what /metrics reads from PostgreSQL (the open backlog with its
//   ages, today's counts through index `payouts_created`, the entities cooling down, the
//   webhook backlog as `status` reads it); `SendsPerMinute`: payouts per entity per
//   minute over the last hour, for /admin's charts (every instance's, on the database's clock).
// - `PayoutSearch`: payouts across tenants and their history (`hongbao payouts list|show`,
//   /admin's payout pages); `UsageReport`: entities' usage today (`merchant list --usage`).
// - `AdminSessionStore`: the dashboard's session generation and redeemed sign-in codes.
// - `RolePrivileges`: whether the gateway's role has least privilege.
//
// Depends on Payouts (payout statuses, the double-payment count), Tenants, Merchants,
// Audit and Postgres; above it, API and the CLI only render.
