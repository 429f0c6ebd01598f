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

-- campaign.budget_low: announced once, when what is left of the budget first falls to
-- `budget_low_percent` of it or below.
ALTER TABLE campaigns ADD COLUMN budget_low_percent integer NOT NULL DEFAULT 10 CHECK (budget_low_percent BETWEEN 1 AND 99);
ALTER TABLE campaigns ADD COLUMN budget_low_at timestamptz;

-- Campaign events reach webhooks through the same outbox as payouts' (campaign.budget_low,
-- campaign.ended): a row is about a payout or about a campaign. Deliveries keep the events
-- of one subject in order; for a campaign's events the subject (webhook_deliveries.payout_id,
-- which has no foreign key) is the campaign's id.
ALTER TABLE outbox ALTER COLUMN payout_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN campaign_id uuid REFERENCES campaigns (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_one_subject CHECK ((payout_id IS NULL) <> (campaign_id IS NULL));
CREATE OR REPLACE FUNCTION webhook_fan_out() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    v_mode  text;
    v_count integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
                   WHERE tenant_id = NEW.tenant_id AND removed_at IS NULL AND disabled_at IS NULL) THEN
        RETURN NULL;
    END IF;
    v_mode := coalesce((SELECT mode FROM payouts WHERE id = NEW.payout_id), (SELECT mode FROM campaigns WHERE id = NEW.campaign_id));
    INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, outbox_id, payout_id, event, event_id, created_at, next_attempt_at)
    SELECT gen_random_uuid(), e.id, NEW.tenant_id, NEW.id, coalesce(NEW.payout_id, NEW.campaign_id), NEW.event, ev.id, NEW.created_at, NEW.created_at
    FROM webhook_endpoints e, (SELECT gen_random_uuid() AS id) ev
    WHERE e.tenant_id = NEW.tenant_id AND e.mode = v_mode AND e.removed_at IS NULL AND e.disabled_at IS NULL
      AND (e.events IS NULL OR NEW.event = ANY (e.events));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count > 0 THEN
        PERFORM pg_notify('hongbao_webhooks', '');
    END IF;
    RETURN NULL;
END $$;

-- A campaign event's outbox row: its figures as they are now.
CREATE FUNCTION hb_campaign_event(p_campaign uuid, p_event text, p_reason text) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO outbox (tenant_id, campaign_id, event, payload)
    SELECT c.tenant_id, c.id, p_event,
           jsonb_strip_nulls(jsonb_build_object('event', p_event, 'campaign_id', c.id, 'name', c.name, 'status', c.status,
                                                'budget_fen', c.budget_fen::text, 'budget_left_fen', (c.budget_fen - c.reserved_fen)::text,
                                                'reason', p_reason))
    FROM campaigns c WHERE c.id = p_campaign;
END $$;

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
    -- The first time what is left falls to the low mark: campaign.budget_low, once.
    IF c.budget_low_at IS NULL AND (c.budget_fen - c.reserved_fen - p_amount) * 100 <= c.budget_fen * c.budget_low_percent THEN
        UPDATE campaigns SET budget_low_at = now() WHERE id = p_campaign;
        PERFORM hb_campaign_event(p_campaign, 'campaign.budget_low', NULL);
    END IF;
    INSERT INTO campaign_payouts (payout_id, campaign_id, openid, amount_fen, draw, amount_min_fen, amount_max_fen)
    VALUES (p_payout, p_campaign, p_openid, p_amount, p_draw, c.amount_min_fen, c.amount_max_fen);
END $$;

-- Gives `p_fen` back to a campaign: first paying off any overspend, so a double payment
-- found earlier is never spent again, then to the budget.
CREATE FUNCTION hb_campaign_give_back(p_campaign uuid, p_fen bigint) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    UPDATE campaigns SET overspent_fen = overspent_fen - least(overspent_fen, p_fen),
                         reserved_fen = reserved_fen - (p_fen - least(overspent_fen, p_fen))
    WHERE id = p_campaign;
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
    PERFORM hb_campaign_give_back(cp.campaign_id, cp.amount_fen - cp.refunded_fen);
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
    PERFORM hb_campaign_give_back(cp.campaign_id, cp.refunded_fen);
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
