// Payouts — the business rules of moving money (DESIGN.md §4–§5). No HTTP here.
//
// What it owns:
// - `PayoutEngine`: a tenant's order → exactly one red packet. Idempotency (a key per
//   tenant and mode: same body → the stored answer, other body → conflict), `Acceptance`
//   (transaction 1: key, reservations, payout, billno, lease, audit — committed, durably,
//   before any byte goes upstream), the upstream call, `OutcomeTransaction` (transaction 2:
//   attempt, status, released reservations, failover with a new billno only after a
//   definite failure, audit, outbox, the tenant's answer claimed in the database).
// - `PayoutOrderRules`: a tenant's order refused before acceptance, with WeChat's field
//   rules (WeChatPay's `RedPacketFieldRules`, `TransferFieldRules`) plus the gateway's own
//   (metadata, no spaces at the ends, kind-specific fields).
// - `SendVerdict`: the one table from an answer and the billno's history (`BillnoHistory`)
//   to paid / nothing paid / open. A verdict about one attempt is not a verdict about
//   another: once a billno may have reached WeChat, only WeChat's word about it closes it.
// - `SendLease` (+ `ReconcilerClaim`): who may call WeChat about a payout — the accepting
//   instance within its grace, or one reconciler holding `lease_until`, renewed right
//   before each call. `DatabaseClock`: every due, lease and grace compared on `now()`.
// - `Cooldowns`: routing around an entity by what an answer is about — the entity (shared),
//   maybe the user (shared after several users), this instance (local only).
// - `DoublePayment`: WeChat's paid answer for a billno the payout had closed — kept,
//   counted, and the payout handed to a person; `ClosedBillnoRecheck` queries closed
//   billnos again so a late commit is found.
// - `PayoutStatus`: the statuses and their allowed changes (the database trigger holds
//   the same table, for inserts too).
// - `Reservations` + `Placement`: every limit (per user per day, a 60-second slot ring per
//   merchant, merchant daily amount, tenant budget per mode) as a conditional upsert in
//   PostgreSQL, so N instances on one database never exceed one; routing proposes,
//   reservation decides. Resends take a slot of the ring too. A campaign's packet also
//   carries a `CampaignCharge`: its campaign's budget and per-user cap are reserved in the
//   same transaction and given back where the tenant's reservation is (the Campaigns
//   module makes such orders; this module only charges them).
// - One state machine over payout kinds: red packets (normal, group) and enterprise
//   payments (`transfer`). `SendLoop` is the send loop both the engine and the reconciler
//   run. It calls a merchant kind only through its `PayoutConnector` (`PayoutConnectors`,
//   by kind name): `WeChatPayV2Connector`, for both wechatpay.v2 kinds, builds each
//   request from the recorded row (a resend is identical), addressed by the kind
//   (`WeChatPayV2DirectAddressing`, `WeChatPayV2PartnerAddressing`: the provider's mch_id
//   naming the sub-merchant), and reads WeChat's answers into the payout's terms
//   (`SendAnswer`, `StatusAnswer`). Nothing else names a kind or a wire API.
// - `QueryApplication`: what gethbinfo / gettransferinfo says about one billno → status,
//   receivers, refunds (releasing what WeChat released), or a double payment.
// - `Reconciler` (+ `DuePayouts`, `ReconcileSchedule`): takes every payout to its final
//   state — claims due payouts with SKIP LOCKED and a lease, queries open sends, waits out
//   NOT_FOUND for the not-found grace after the last possible send, resends the same
//   billno identically, closes it only on WeChat's word, follows sent packets to
//   received/refunded, hands what WeChat can no longer answer to `needs_attention`.
// - Tenants and their keys are module `Tenants`; a payout is always a `Caller`'s.
// - The audit trail (append, chains, verification, checkpoints, reads) is module `Audit`;
//   this module appends through it in the same transactions as the changes it records.
// - `TenantUsage`, `PayoutListing`: what a tenant reads of its own payouts (operators'
//   reads — `hongbao status`, `payouts`, /admin, /metrics — are module `Operations`).
// - Webhooks are module `Webhooks`: this module only writes the outbox they are fanned
//   out from (migration 0009's trigger).
