// API — the tenant-facing HTTP application (Hummingbird 2), generated from openapi.yaml.
//
// What it owns:
// - `buildApplication` (wires dependencies explicitly and returns the app; tests call the
//   same function) and `buildRouter` (routes only): the tenant API under /v1,
//   GET /openapi.yaml, /healthz and /readyz.
// - `TenantAPI`: the handlers of the generated `APIProtocol` (Sources/API/Generated,
//   written by scripts/openapi-generate.sh from openapi.yaml — never edit it by hand; a
//   test fails when the spec changed without regenerating): red packets and enterprise
//   payments (`TenantAPI+Transfers`) on a `PayoutPort` (the payout engine), webhook
//   endpoints (`TenantAPI+Webhooks`) on a `WebhookPort` (`StoredWebhookPort`), campaigns
//   (`TenantAPI+Campaigns`, `CampaignRendering`) on a `CampaignPort` (`StoredCampaignPort`). Ports are
//   what a handler needs of a module below, so tests put fakes behind them; "Service" is
//   only said of what runs beside the server (below). `RedpackRendering` turns payouts
//   into the spec's `Redpack`.
// - Middleware: `RequestIDMiddleware` (X-Request-Id on every response and log line),
//   `ProblemMiddleware` (every error as application/problem+json with a stable code from
//   `ProblemCode`), `APIKeyMiddleware` (Bearer key: shape and checksum, then the store;
//   the caller reaches handlers through the task-local `APIRequestContext.current`),
//   `BodyLimitMiddleware` (64 KiB), `IdempotencyKeyMiddleware`.
// - `FieldRules`: the spec's value limits, which the generated code does not enforce,
//   naming the JSON parameter in the problem. WeChat's numbers (lengths, amounts, shares)
//   come from WeChatPay's `RedPacketFieldRules` / `TransferFieldRules`, the one table the
//   engine (`PayoutOrderRules`) and the request builders read too.
// - Services run with the server: `MerchantReloadService`, `EngineDrainService`,
//   `WebhookDispatchService` (Webhooks' `WebhookDispatcher`, woken by LISTEN),
//   `AuditCheckpointService` (a signed `AuditCheckpoint` into a directory on an interval).
// Nothing below this module imports Hummingbird.
