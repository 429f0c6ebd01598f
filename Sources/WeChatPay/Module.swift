// WeChatPay — WeChat Pay APIv2 (XML) for cash red packets and enterprise payment.
// Protocol facts: docs/reference/wechatpay-v2.md ("reference §N" in comments). No tenants, no database.
//
// What it owns:
// - `Signer`: MD5 / HMAC-SHA256 signatures (§2) and CSPRNG nonces.
// - `WeChatXML`: a strict codec for WeChat's flat `<xml>` documents — CDATA and escapes
//   both ways, UTF-8 only, 64 KiB cap, no DOCTYPE/ENTITY/custom entities, no nesting
//   except the declared lists (gethbinfo's `hblist/hbinfo`), no duplicate elements.
// - `RedPacketFieldRules`, `TransferFieldRules`: the one table of WeChat's field rules
//   (lengths, amount ranges with and without scene_id, scene ids, group shares and
//   amt_type, check_name, transfer amounts). The API edge, the engine's
//   `PayoutOrderRules` and the typed requests here all read it; the simulator keeps its
//   own copy on purpose, and `SharedRulesAgreementTests` compares the two.
// - Typed requests (`SendRedPack`, `SendGroupRedPack`, `SendMiniProgramRedPack`,
//   `QueryRedPack`, `Transfer`, `QueryTransfer`) that validate every field before
//   anything is sent (`RequestInvalid`), and typed responses.
// - `ErrorCatalog`: the one table from err_code (and unknown codes, unparsable bodies,
//   non-200) to a retry class U/F/C/R/P and an action (§5).
// - `ResponseInterpreter`: return_code/result_code/err_code → success, definite
//   failure (with class) or outcome unknown.
// - `BusinessCalendar` / `BusinessDay`: Asia/Shanghai calendar days and the 90/30-day
//   qualification rule (§4.3) — WeChat's rules, shared by the router and the simulator.
// - `WeChatPayClient`: signs, posts through `Transport` with a merchant's TLS identity,
//   and interprets the answer.
