// Simulator — a faithful stand-in for WeChat Pay APIv2 red packets and transfers.
//
// What it owns:
// - `SimulatorCA`: its own CA, a server certificate for localhost/127.0.0.1, and a client
//   certificate per merchant account (issued when the account is created).
// - `SimLedger`: WeChat's view of every merchant (key, appids and types, whitelist,
//   onboarding/trading dates, product switch, balance, limits), every red packet and
//   transfer, per-minute/per-user/per-day counters, the sim clock, and the rules WeChat
//   applies, in the order it applies them, answering with WeChat's codes.
// - Packet life on the sim clock: SENDING → SENT (1 s) → RECEIVED (control API or the
//   account's receive probability), or RFUND_ING at 24 h → REFUND at 25 h with the
//   money back on the balance.
// - `WeChatEndpoint`: the HTTPS endpoints (client certificate required, cert ↔ mch_id).
// - `ControlAPI`: plain-HTTP JSON under /_sim/ — accounts, ledger, clock, receive, faults.
// - `FaultPlan`: latency, drops before/after commit, SYSTEMERROR, HTTP 500, garbage.
// - `SimulatorStore`: state persisted under --state-dir (JSON, written when changed).
// - `SimulatorServer`: runs both listeners.
