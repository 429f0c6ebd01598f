-- 0012: test and live are two worlds (DESIGN.md §6, as in Stripe; issue 14 item 16).
-- Every tenant object belongs to one mode — the mode of the API key that made it — and a
-- key of the other mode sees none of it: payouts already carry `mode` (0006) and webhook
-- endpoints too (0009); here idempotency keys and the tenant's daily usage get it, in
-- their keys, and the tenant-facing indexes lead with (tenant_id, mode).
--
-- The tenant's daily budget (tenants.daily_budget_fen) bounds each mode's spend on its
-- own: test traffic can never use up the live budget, and test mode still shows budget
-- behaviour (429 budget_exhausted) the way live mode would.
--
-- No new grants: hongbao_app's table-level grants (0006, 0009) cover the new columns.

-- Idempotency-Key: scoped to (tenant, mode). A key first used in test and then in live is
-- two requests, not a replay. Every existing key has its payout (a deferred foreign key,
-- checked at the commit that claimed the key), whose mode is the key's.
ALTER TABLE idempotency_keys ADD COLUMN mode text CHECK (mode IN ('live', 'test'));
UPDATE idempotency_keys k SET mode = p.mode FROM payouts p WHERE p.id = k.payout_id;
ALTER TABLE idempotency_keys ALTER COLUMN mode SET NOT NULL;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (tenant_id, mode, key);

-- The tenant's daily spend, per mode. Existing rows are (tenant, day, stripe) sums of the
-- payouts reserved on them (payouts.usage_stripe), which know their mode:
--   * a row whose payouts are all of one mode takes that mode;
--   * a row holding payouts of both modes is split: the test share is what its test
--     payouts still hold (not failed — a failure gave its reservation back — less what a
--     refund gave back), at most the row's own figures; the live row keeps the rest;
--   * a row with no payout at all (cannot be known) stays live.
-- Whatever cannot be attributed exactly therefore stays on live: the error, if any, is a
-- live budget that is tighter for the rest of that day, never looser.
ALTER TABLE tenant_usage ADD COLUMN mode text NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'test'));
ALTER TABLE tenant_usage DROP CONSTRAINT tenant_usage_pkey;
ALTER TABLE tenant_usage ADD PRIMARY KEY (tenant_id, mode, day, stripe);

UPDATE tenant_usage u SET mode = 'test'
WHERE EXISTS (SELECT 1 FROM payouts p WHERE p.tenant_id = u.tenant_id AND p.day = u.day AND p.usage_stripe = u.stripe AND p.mode = 'test')
  AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.tenant_id = u.tenant_id AND p.day = u.day AND p.usage_stripe = u.stripe AND p.mode = 'live');

WITH mixed AS (
    SELECT u.tenant_id, u.day, u.stripe, least(u.amount_fen, t.amount_fen) AS amount_fen, least(u.count, t.count) AS count
    FROM tenant_usage u
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(p.amount_fen - CASE WHEN p.status = 'refunded' THEN least(coalesce(p.refund_amount_fen, 0), p.amount_fen) ELSE 0 END), 0)::bigint
                   AS amount_fen,
               count(*)::integer AS count
        FROM payouts p
        WHERE p.tenant_id = u.tenant_id AND p.day = u.day AND p.usage_stripe = u.stripe AND p.mode = 'test' AND p.status <> 'failed') t
    WHERE u.mode = 'live'
      AND EXISTS (SELECT 1 FROM payouts p WHERE p.tenant_id = u.tenant_id AND p.day = u.day AND p.usage_stripe = u.stripe AND p.mode = 'test')
),
live AS (
    UPDATE tenant_usage u SET amount_fen = u.amount_fen - m.amount_fen, count = u.count - m.count
    FROM mixed m WHERE u.tenant_id = m.tenant_id AND u.mode = 'live' AND u.day = m.day AND u.stripe = m.stripe
)
INSERT INTO tenant_usage (tenant_id, mode, day, stripe, amount_fen, count)
SELECT tenant_id, 'test', day, stripe, amount_fen, count FROM mixed;

-- From now on every reservation names its mode.
ALTER TABLE tenant_usage ALTER COLUMN mode DROP DEFAULT;

-- Tenant-facing reads filter on (tenant_id, mode): the list (newest first, keyset
-- pagination), the list by user, today's usage by status. Replacing the tenant-only
-- indexes keeps the payout insert's index count as it was; operators' views across
-- modes (`hongbao status` adds both modes to its filter) still reach them by tenant_id.
DROP INDEX payouts_tenant_created;
CREATE INDEX payouts_tenant_mode_created ON payouts (tenant_id, mode, created_at DESC, id DESC);
DROP INDEX payouts_tenant_openid;
CREATE INDEX payouts_tenant_mode_openid ON payouts (tenant_id, mode, openid, created_at DESC);
DROP INDEX payouts_tenant_day_status;
CREATE INDEX payouts_tenant_mode_day_status ON payouts (tenant_id, mode, day, status);

-- A tenant's endpoints of one mode (list, count against the per-mode maximum), disabled
-- ones included; the fan-out trigger keeps its own index (enabled endpoints only).
CREATE INDEX webhook_endpoints_tenant_mode ON webhook_endpoints (tenant_id, mode, created_at) WHERE removed_at IS NULL;
