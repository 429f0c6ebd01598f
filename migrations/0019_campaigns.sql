-- 0019: campaigns (issue 18) — one wording, one budget, one per-user cap and one window
-- for many red packets, sent through the same exactly-once engine. A campaign belongs to a
-- tenant and a mode, like every tenant object.
CREATE TABLE campaigns (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    mode            text NOT NULL CHECK (mode IN ('live', 'test')),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    appid           text NOT NULL,
    act_name        text NOT NULL,
    wishing         text NOT NULL,
    remark          text NOT NULL,
    send_name       text,
    scene_id        text,
    -- A fixed amount is min = max; otherwise each packet draws within [min, max].
    amount_min_fen  bigint NOT NULL CHECK (amount_min_fen > 0),
    amount_max_fen  bigint NOT NULL CHECK (amount_max_fen >= amount_min_fen),
    budget_fen      bigint NOT NULL CHECK (budget_fen > 0),
    per_openid_cap  integer NOT NULL CHECK (per_openid_cap >= 1),
    -- The window, instants (the API reads and writes them on the Asia/Shanghai calendar).
    starts_at       timestamptz,
    ends_at         timestamptz CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at),
    status          text NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'ended')),
    ended_reason    text CHECK ((status = 'ended') = (ended_reason IS NOT NULL)),
    -- What sends have taken from the budget and not given back (failures, refunds).
    reserved_fen    bigint NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0 AND reserved_fen <= budget_fen),
    -- Paid past the budget by payments found late (a double payment a person settles).
    overspent_fen   bigint NOT NULL DEFAULT 0 CHECK (overspent_fen >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_tenant ON campaigns (tenant_id, mode, created_at DESC, id DESC);

-- Packets per user in a campaign, held to its per_openid_cap.
CREATE TABLE campaign_recipients (
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    openid      text NOT NULL,
    count       integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (campaign_id, openid)
);

-- Each campaign payout, with its draw (the amount is reproducible from the record:
-- amount_min_fen + draw mod (amount_max_fen − amount_min_fen + 1), the range as it was),
-- and what it gave back to the budget. `released`: nothing was or will be paid (the
-- reservation is back); `refunded_fen`: WeChat returned that much, unclaimed.
CREATE TABLE campaign_payouts (
    payout_id       uuid PRIMARY KEY,
    campaign_id     uuid NOT NULL REFERENCES campaigns (id),
    openid          text NOT NULL,
    amount_fen      bigint NOT NULL CHECK (amount_fen > 0),
    draw            bigint NOT NULL,
    amount_min_fen  bigint NOT NULL,
    amount_max_fen  bigint NOT NULL,
    released        boolean NOT NULL DEFAULT false,
    refunded_fen    bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_payouts_campaign ON campaign_payouts (campaign_id, created_at);

-- Reserves one packet of `campaign` for `openid` in transaction 1: the campaign is the
-- caller's, active and inside its window on the database's clock, its amount range is
-- still the one the amount was drawn from (so the record reproduces it), the user's cap and
-- the budget hold. Each refusal is its own code
-- (SQLSTATE HB000, like hb_require), so the answer says exactly why not; the row lock on
-- the campaign makes concurrent reservations on every instance see each other.
CREATE FUNCTION hb_campaign_reserve(p_campaign uuid, p_tenant uuid, p_mode text, p_openid text, p_amount bigint, p_payout uuid,
                                    p_draw bigint, p_min bigint, p_max bigint) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    c campaigns%ROWTYPE;
BEGIN
    SELECT * INTO c FROM campaigns WHERE id = p_campaign AND tenant_id = p_tenant AND mode = p_mode FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_not_found'; END IF;
    IF c.status = 'draft' THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_draft'; END IF;
    IF c.status = 'ended' THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_ended'; END IF;
    IF c.status = 'paused' THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_paused'; END IF;
    IF c.starts_at IS NOT NULL AND now() < c.starts_at THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_not_started'; END IF;
    IF c.ends_at IS NOT NULL AND now() >= c.ends_at THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_window_closed'; END IF;
    IF p_min <> c.amount_min_fen OR p_max <> c.amount_max_fen OR p_amount < p_min OR p_amount > p_max THEN
        RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_changed';
    END IF;
    -- The user's cap before the budget: "already rewarded" is the more exact answer. (A
    -- refusal undoes the whole transaction, this upsert included.)
    INSERT INTO campaign_recipients (campaign_id, openid, count) VALUES (p_campaign, p_openid, 1)
    ON CONFLICT (campaign_id, openid) DO UPDATE SET count = campaign_recipients.count + 1 WHERE campaign_recipients.count < c.per_openid_cap;
    IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_user_rewarded'; END IF;
    IF c.reserved_fen + p_amount > c.budget_fen THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'campaign_budget_spent'; END IF;
    UPDATE campaigns SET reserved_fen = reserved_fen + p_amount WHERE id = p_campaign;
    INSERT INTO campaign_payouts (payout_id, campaign_id, openid, amount_fen, draw, amount_min_fen, amount_max_fen)
    VALUES (p_payout, p_campaign, p_openid, p_amount, p_draw, c.amount_min_fen, c.amount_max_fen);
END $$;

-- Gives a campaign payout's reservation back (nothing was or will be paid): its amount to
-- the budget — first paying off any overspend, so a double payment found earlier is never
-- spent again — and its packet to the user's cap. Once only; no campaign, nothing to do.
CREATE FUNCTION hb_campaign_release(p_payout uuid) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    cp campaign_payouts%ROWTYPE;
BEGIN
    UPDATE campaign_payouts SET released = true WHERE payout_id = p_payout AND NOT released RETURNING * INTO cp;
    IF NOT FOUND THEN RETURN; END IF;
    UPDATE campaigns SET overspent_fen = overspent_fen - least(overspent_fen, cp.amount_fen - cp.refunded_fen),
                         reserved_fen = reserved_fen - (cp.amount_fen - cp.refunded_fen - least(overspent_fen, cp.amount_fen - cp.refunded_fen))
    WHERE id = cp.campaign_id;
    UPDATE campaign_recipients SET count = count - 1 WHERE campaign_id = cp.campaign_id AND openid = cp.openid;
END $$;

-- Unclaimed money WeChat refunded goes back to the budget (the user was still offered the
-- packet: the cap stays taken), overspend first as on a release. Once only.
CREATE FUNCTION hb_campaign_refund(p_payout uuid, p_refund bigint) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    cp campaign_payouts%ROWTYPE;
BEGIN
    UPDATE campaign_payouts SET refunded_fen = least(p_refund, amount_fen)
    WHERE payout_id = p_payout AND NOT released AND refunded_fen = 0 AND p_refund > 0 RETURNING * INTO cp;
    IF NOT FOUND THEN RETURN; END IF;
    UPDATE campaigns SET overspent_fen = overspent_fen - least(overspent_fen, cp.refunded_fen),
                         reserved_fen = reserved_fen - (cp.refunded_fen - least(overspent_fen, cp.refunded_fen))
    WHERE id = cp.campaign_id;
END $$;

-- A late payment found on a billno the payout had closed (DoublePayment: once per such
-- billno). The money moved, so it is charged without a limit check — one more packet for the
-- user and its amount: a payout whose reservation was given back takes it again; one still
-- holding it (paid elsewhere too, or still open) pays twice. What passes the budget is kept
-- apart, as `overspent_fen`, so the budget's check never refuses recording what WeChat did;
-- releases and refunds pay it off first. The campaign's row is locked first, as transaction
-- 1 locks it before the user's cap.
CREATE FUNCTION hb_campaign_count_again(p_payout uuid) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    cp campaign_payouts%ROWTYPE;
BEGIN
    SELECT * INTO cp FROM campaign_payouts WHERE payout_id = p_payout;
    IF NOT FOUND THEN RETURN; END IF;
    PERFORM 1 FROM campaigns WHERE id = cp.campaign_id FOR UPDATE;
    UPDATE campaign_payouts SET released = false WHERE payout_id = p_payout;
    UPDATE campaign_recipients SET count = count + 1 WHERE campaign_id = cp.campaign_id AND openid = cp.openid;
    UPDATE campaigns SET reserved_fen = least(budget_fen, reserved_fen + cp.amount_fen),
                         overspent_fen = overspent_fen + greatest(0, reserved_fen + cp.amount_fen - budget_fen)
    WHERE id = cp.campaign_id;
END $$;

GRANT SELECT, INSERT, UPDATE ON campaigns, campaign_recipients, campaign_payouts TO hongbao_app;
