// Campaigns: red-packet templates with one wording, one budget, one per-user cap and one
// window (issue 18), sent through the same exactly-once engine as single calls.
//
// - `Campaign` (what the tenant configured, its status and what its budget has reserved),
//   `CampaignDraft` (a new campaign, checked against WeChat's field and amount rules by the
//   engine's own `PayoutOrderRules`, so a bad campaign never reaches sending) and
//   `CampaignStore` (create, read, list, activate, pause, resume, end, and update with
//   `CampaignChanges` — wording and window while running, money only while draft or
//   paused — each change audited
//   on the campaign's own chain, `campaign:<id>`), `CampaignStats` (its packets by outcome,
//   counts and fen, and the budget left).
// - `CampaignDraw`: a packet's amount within [min, max], drawn from the campaign and the
//   send's idempotency key, so a retry draws the same amount and the record reproduces it.
// - `CampaignSender`: a campaign packet for one openid — the campaign's wording and a drawn
//   amount (or a rule tier's reward), carried to the engine with a `CampaignCharge`.
// - `CampaignRule` and `CampaignEvents` (满额送): a reported payment earns a packet by the
//   campaign's rule — a minimum, or tiers — or is answered exactly why not; `event_id` is
//   the idempotency key (the send's key derives from it; answers are kept, migration 0020).
//
// `CampaignStore.endDue` ends campaigns whose window closed or whose budget is spent (run by
// `serve`); `campaign.budget_low` and `campaign.ended` go out through the payouts' outbox
// (migration 0019's `hb_campaign_event`) to the tenant's webhooks.
//
// Budgets and caps are not kept here: the engine reserves them in transaction 1
// (`hb_campaign_reserve`, migration 0019) and gives them back exactly when nothing was or
// will be paid, or the unclaimed amount WeChat refunded, on every instance alike.
// A campaign belongs to one tenant and one mode: any other caller's campaign is "not found".
//
// Depends on Payouts (the engine), Tenants (callers), Audit, Merchants (modes) and Postgres.
