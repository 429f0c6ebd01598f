-- 0011: the money path's second review (issue 14). A billno that may have reached WeChat
-- is settled only by WeChat's word about that billno, every lease and grace is compared on
-- the database's clock, and evidence of a double payment is kept rather than dropped.

-- Who holds a payout (DESIGN.md §4.5). Transaction 1 and a failover give the sending
-- instance `lease_until = now() + sending grace` (owner NULL); a reconciler's claim sets
-- its own owner and renews the lease right before each upstream call. Nobody else claims
-- a payout whose lease has not run out, whatever its next_check_at says (so `reconcile
-- --all`, which only brings next_check_at forward, never takes a send in flight).
ALTER TABLE payouts ADD COLUMN lease_until timestamptz;
ALTER TABLE payouts ADD COLUMN lease_owner uuid;
-- Payouts in flight when this migration ran keep the grace they were given.
UPDATE payouts SET lease_until = next_check_at WHERE status IN ('accepted', 'sending') AND next_check_at IS NOT NULL;

-- The latest moment a request for the billno may have left a gateway for WeChat: its
-- creation plus the sending grace, pushed on by every resend's intent (written before the
-- call). NOT_FOUND means "never kept" only once the not-found grace has passed since then.
ALTER TABLE payout_sends ADD COLUMN may_send_until timestamptz;
-- Billnos made before this migration: an hour after they were made or last sent, longer
-- than any grace they had.
UPDATE payout_sends s SET may_send_until = greatest(s.created_at, (SELECT max(a.finished_at) FROM payout_attempts a
                                                                  WHERE a.mch_id = s.mch_id AND a.billno = s.billno)) + interval '1 hour';
ALTER TABLE payout_sends ALTER COLUMN may_send_until SET NOT NULL;
-- An instance still running the earlier code during a rolling deploy inserts billnos
-- without it: they get the same hour, the safe side (the gateway always sets it).
ALTER TABLE payout_sends ALTER COLUMN may_send_until SET DEFAULT now() + interval '1 hour';

-- A billno closed as failed on anything but WeChat's FAILED for it is queried once more
-- after the not-found grace, so an order WeChat committed late is found, not missed.
ALTER TABLE payout_sends ADD COLUMN recheck_at timestamptz;
CREATE INDEX payout_sends_recheck ON payout_sends (recheck_at) WHERE recheck_at IS NOT NULL;

-- `late_paid`: closed as failed, then found paid by WeChat — a double payment (or a payment
-- the tenant was told failed). It stays out of the one-live-billno rule, which it broke.
ALTER TABLE payout_sends DROP CONSTRAINT payout_sends_state_check;
ALTER TABLE payout_sends ADD CONSTRAINT payout_sends_state_check CHECK (state IN ('open', 'failed', 'paid', 'late_paid'));
DROP INDEX payout_sends_one_live;
CREATE UNIQUE INDEX payout_sends_one_live ON payout_sends (payout_id) WHERE state IN ('open', 'paid');

-- Evidence of money on a billno the payout had closed reaches any status: the payout goes
-- to a person (PayoutStatus.transitions holds the same rows).
INSERT INTO payout_transitions (from_status, to_status) VALUES
    ('accepted', 'needs_attention'), ('failed', 'needs_attention'), ('received', 'needs_attention'), ('refunded', 'needs_attention');

-- A payout paid on more than one billno stays with the person settling it: nothing moves
-- it out of needs_attention or clears its reason (the gateway records what WeChat says of
-- its billnos without changing either).
CREATE FUNCTION payouts_keep_paid_twice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'needs_attention' AND OLD.error_code = 'PAID_ON_MORE_THAN_ONE_BILLNO'
       AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.error_code IS DISTINCT FROM OLD.error_code) THEN
        RAISE EXCEPTION 'payout % was paid on more than one billno: it stays in needs_attention', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_paid_twice BEFORE UPDATE ON payouts FOR EACH ROW EXECUTE FUNCTION payouts_keep_paid_twice();

-- The status table guards inserts too: a payout starts accepted or sending, nothing else.
CREATE FUNCTION payouts_check_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status NOT IN ('accepted', 'sending') THEN
        RAISE EXCEPTION 'payout % may not start as %', NEW.id, NEW.status USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_insert_status BEFORE INSERT ON payouts FOR EACH ROW EXECUTE FUNCTION payouts_check_insert();

-- Answers that may be about the user rather than the entity (NO_AUTH "user flagged by risk
-- control", a transfer's per-user MONEY_LIMIT): one row per refusal, and the entity cools
-- down only when several distinct users were refused within a window.
CREATE TABLE merchant_strikes (
    merchant text NOT NULL,
    code     text NOT NULL,
    openid   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX merchant_strikes_recent ON merchant_strikes (merchant, code, at);

GRANT SELECT, INSERT, DELETE ON merchant_strikes TO hongbao_app;
