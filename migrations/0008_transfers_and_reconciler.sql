-- 0008: enterprise payments (企业付款到零钱) as a third payout kind of the same state
-- machine, and what the reconciler reads (DESIGN.md §4; issue 9).

-- A transfer's fields. Its partner_trade_no is the payout's billno (same layout). Its
-- red packet fields (wishing, act_name, remark) are empty.
ALTER TABLE payouts DROP CONSTRAINT payouts_kind_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_kind_check CHECK (kind IN ('normal', 'group', 'transfer'));
ALTER TABLE payouts ADD COLUMN check_name text CHECK (check_name IN ('NO_CHECK', 'FORCE_CHECK'));
-- The real name WeChat checks with FORCE_CHECK: kept only so a resend is identical.
ALTER TABLE payouts ADD COLUMN re_user_name text;
ALTER TABLE payouts ADD COLUMN description text;
ALTER TABLE payouts ADD CONSTRAINT payouts_transfer_fields CHECK (
    (kind = 'transfer') = (check_name IS NOT NULL AND description IS NOT NULL)
    AND (check_name IS DISTINCT FROM 'FORCE_CHECK' OR re_user_name IS NOT NULL));

-- Usage of transfers is counted apart from red packets (WeChat's limits are per product):
-- merchant_usage, user_usage and rate_slots hold it under mch_id || ':transfer'.
COMMENT ON COLUMN merchant_usage.mch_id IS 'merchant number; suffixed :transfer for enterprise payment';
COMMENT ON COLUMN user_usage.mch_id IS 'merchant number; suffixed :transfer for enterprise payment';
COMMENT ON COLUMN rate_slots.mch_id IS 'merchant number; suffixed :transfer for enterprise payment';

-- The reconciler's backoff position: looks since the status last changed.
COMMENT ON COLUMN payouts.checks IS 'reconciler looks since the status last changed (reset by every status change)';

-- Operators list what needs a person without scanning every payout.
CREATE INDEX payouts_needs_attention ON payouts (created_at) WHERE status = 'needs_attention';
