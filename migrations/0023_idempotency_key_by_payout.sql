-- 0023: transaction 2 stores the tenant's answer with
--   UPDATE idempotency_keys … WHERE tenant_id = $1 AND payout_id = $2,
-- and a replay reads it back the same way, but the only index was the primary key
-- (tenant_id, mode, key): each payout's answer scanned every key its tenant ever used.
-- The issue-19 benchmark found it as the first CPU cost of a single busy tenant (29% of
-- active backend samples), growing with the tenant's history.
CREATE INDEX idempotency_keys_payout ON idempotency_keys (payout_id);
