// Merchants — the registry of merchant entities (the WXPayConfigImpl pattern as a product).
//
// What it owns:
// - `MerchantConfig`: the protocol every entity kind implements — identity, credentials,
//   endpoint, appids, limits, qualification facts, tenants, priority/weight.
// - `MerchantKinds`: kind name → factory: `wechatpay.v2` (`WeChatPayV2Merchant`, a direct
//   merchant) and `wechatpay.v2.partner` (`WeChatPayV2PartnerMerchant`, a service
//   provider's sub-merchant); the family's shared field rules are `WeChatPayV2Fields`.
//   docs/merchant-kinds.md says how to write another.
// - `MerchantLoader`: merchants.d/*.toml → immutable values. Any problem (unknown kind or
//   field, bad id, key not 32 chars, unreadable/mismatched/expired certificate, duplicate
//   name or (mch_id, appid), files naming one merchant number with different keys or
//   certificates) fails the whole load with file, field and reason.
// - `MerchantSnapshot` + `MerchantRegistry`: an immutable, appid-indexed snapshot swapped
//   atomically on reload; a failed reload keeps the old one. One TLS identity per
//   certificate (a provider's sub-merchants share the provider's).
// - `MerchantRouter`: picks eligible entities for a send (enabled, qualified, appid and
//   its type, tenant, amount/scene_id, cool-down, capacity) by priority then weight, or
//   explains every exclusion — without a round trip: limits are enforced by the payout
//   engine's reservations in PostgreSQL, which re-route on refusal. `CapacityProvider`
//   reports today's usage (implemented by the engine on its tables).
// - `MerchantReloadSignal`: the cluster-wide reload generation + NOTIFY.
// - `MerchantStateStore`: enabled/disabled and cool-down in PostgreSQL (shared by every
//   gateway instance), with an audit event in the same transaction.
