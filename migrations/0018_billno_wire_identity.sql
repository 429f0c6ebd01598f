-- 0018: each billno remembers whom it was sent as (issue 17). A billno is WeChat's under
-- the account that sent it: for a service provider's sub-merchant that is the provider's
-- mch_id and wxappid (and the fund source), which come from merchants.d, not from the
-- payout. Re-pointing a file at another provider while billnos are open would make the
-- gateway ask about them as someone else: NOT_FOUND, then a resend or a failover, and the
-- user paid twice. So every billno records its entity's wire identity
-- (`MerchantConfig.wireIdentity`, defined by the kind), and the gateway sends or asks about
-- a billno only as an entity that still presents the identity it was made with.
ALTER TABLE payouts ADD COLUMN sent_as text;
ALTER TABLE payout_sends ADD COLUMN sent_as text;

-- Billnos made before this migration: the only released kind was wechatpay.v2, whose
-- identity is its mch_id (the partner kind lands with this migration). The same rule fills
-- the column for an instance that predates it during a rolling deploy.
CREATE FUNCTION billno_sent_as_legacy() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    IF NEW.sent_as IS NULL THEN
        NEW.sent_as := 'wechatpay.v2 mch_id=' || NEW.mch_id;
    END IF;
    RETURN NEW;
END $$;
UPDATE payouts SET sent_as = 'wechatpay.v2 mch_id=' || mch_id;
UPDATE payout_sends SET sent_as = 'wechatpay.v2 mch_id=' || mch_id;
ALTER TABLE payouts ALTER COLUMN sent_as SET NOT NULL;
ALTER TABLE payout_sends ALTER COLUMN sent_as SET NOT NULL;
CREATE TRIGGER payouts_sent_as BEFORE INSERT ON payouts FOR EACH ROW EXECUTE FUNCTION billno_sent_as_legacy();
CREATE TRIGGER payout_sends_sent_as BEFORE INSERT ON payout_sends FOR EACH ROW EXECUTE FUNCTION billno_sent_as_legacy();

-- A billno's identity is what it was made with: it changes on a payout only with its
-- billno (a failover), and never on the billno's own row.
CREATE FUNCTION billno_keep_sent_as() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    IF NEW.sent_as IS DISTINCT FROM OLD.sent_as AND (TG_TABLE_NAME = 'payout_sends' OR NEW.billno IS NOT DISTINCT FROM OLD.billno) THEN
        RAISE EXCEPTION 'billno % keeps the identity it was sent as', OLD.billno USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_keep_sent_as BEFORE UPDATE ON payouts FOR EACH ROW EXECUTE FUNCTION billno_keep_sent_as();
CREATE TRIGGER payout_sends_keep_sent_as BEFORE UPDATE ON payout_sends FOR EACH ROW EXECUTE FUNCTION billno_keep_sent_as();
