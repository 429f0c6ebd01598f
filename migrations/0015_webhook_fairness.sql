-- 0015: webhook fairness (issue 15 item 2). The dispatcher's claim (Gateway/WebhookDispatcher.swift)
-- skips endpoints and tenants that already have their share of attempts in flight; an
-- attempt in flight is a pending delivery with a live lease (`lease IS NOT NULL AND
-- next_attempt_at > now()`). Every claim counts them, so they get an index of their own:
-- only deliveries leased now (and the few whose instance died mid-attempt), never the backlog.
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (tenant_id, endpoint_id) WHERE state = 'pending' AND lease IS NOT NULL;
