// Simulator — a faithful stand-in for WeChat Pay APIv2 red packets and transfers.
//
// What it owns:
// - `SimRules`: what WeChat checks, written from the reference's field tables and rules
//   (required fields, lengths, charsets, total_num, amount/scene_id, notify_way, the
//   90/30-day qualification) — its own code, never the client's validators or WeChatPay's
//   `RedPacketFieldRules`, so the two can disagree and a shared bug cannot hide
//   (`SharedRulesAgreementTests` says when they drift apart).
// - `SimLedger`: the registry of `MerchantBook`s — one per merchant, each with its own lock
//   over `MerchantState` (account, balance, totals, packets, transfers, today's counters,
//   the minute window) — plus the users transfers check, the sim clock and the journal.
//   Requests are parsed and their signatures verified outside any lock; a merchant's lock
//   is held only for the checks that need its state and the commit.
// - Service providers (服务商): an account with `sub_merchants` sends for them in SP mode
//   (`sub_mch_id`), with its own certificate and key. `PacketParty` makes WeChat's checks
//   (ACCEPTMODE_ERROR, MSGAPPID_ERROR, the fund source) and records its safe readings; each
//   sub-merchant's qualification and limits apply, and its `SubMerchantLedger` (inside the
//   provider's `MerchantState`, under the provider's lock) holds its balance and counters.
//   Packets record the sub-merchant and the fund source that paid, which an unclaimed packet's
//   refund goes back to.
// - Packet life on the sim clock: SENDING → SENT (1 s) → RECEIVED (control API, or the
//   account's receive probability at 2 s), or RFUND_ING at 24 h → REFUND at 25 h with the
//   money back. Transfers: accepted and debited at once, PROCESSING until the account's
//   transfer_settle_seconds, then SUCCESS — or FAILED with a reason and the money back
//   when the control API says so.
// - Bounded memory: `PacketRecord` is fixed fields — 136 bytes with the openid inline and the
//   campaign texts shared — keyed by an inline `OrderKey`: about 220 bytes of RSS per stored
//   packet with its index entry (`hongbao bench simulator --rss-packets 1000000`: 211 MB per
//   million). Counters keep only today; packets and transfers are dropped once
//   WeChat's 30-day query window has passed (queries then answer NOT_FOUND), while the
//   per-account totals keep counting them. Re-entrancy therefore covers those 30 days: a
//   number resent after its record aged out is a new order (the gateway never reuses one).
// - Persistence proportional to change: every state change is a record in an append-only
//   `Journal` (journal-NNNNNN.log), written and fsynced in batches by a thread of its own
//   (`--journal-batch-ms`, default 10 ms). A crash (kill -9, power loss) loses at most the
//   last batch — changes the simulator may already have answered. With
//   `--strict-durability` no answer leaves before its records are fsynced, so a crash loses
//   nothing that was answered. `SnapshotFile` compacts the journal into snapshot.bin when the
//   journal outgrows the last snapshot, and at shutdown; start-up replays snapshot + journal
//   and ignores a torn last record.
// - `WeChatEndpoint`: the HTTPS endpoints (client certificate required, cert ↔ mch_id).
// - `ControlAPI`: plain-HTTP JSON under /_sim/ — accounts, users, paginated ledger and its
//   summary, clock, receive, transfer settlement, faults.
// - `FaultPlan`: latency, drops before/after commit, SYSTEMERROR, HTTP 500, garbage — for
//   every endpoint alike.
// - `SimulatorStore`: the CA and server certificate files under --state-dir.
// - `SimulatorServer`: replays the state, runs both listeners and the compactor.
