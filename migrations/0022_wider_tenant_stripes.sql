-- 0022: a tenant without a budget spreads its daily spend over 64 stripes instead of 16
-- (issue 19: one tenant sending from 32 clients waited on its 16 tenant_usage rows, as it
-- did on its 16 audit chain heads, which widen to 64 in the code: AuditChains.stripes).
-- Reads sum every stripe, so rows written before stay right; an instance of the older
-- version keeps choosing among 0…15, which stay valid.
ALTER TABLE tenant_usage DROP CONSTRAINT tenant_usage_stripe_check,
    ADD CONSTRAINT tenant_usage_stripe_check CHECK (stripe BETWEEN 0 AND 63);
ALTER TABLE payouts DROP CONSTRAINT payouts_usage_stripe_check,
    ADD CONSTRAINT payouts_usage_stripe_check CHECK (usage_stripe BETWEEN 0 AND 63);
