-- 0006: payouts and everything that must agree across gateway instances (DESIGN.md §4,
-- §10): the billnos, upstream attempts, idempotency records, usage reservations against
-- every limit, and the outbox the webhook stage drains. Constraints are the last line of
-- defence behind the engine's own checks.

-- The allowed status changes; Gateway's PayoutStatus holds the same table (a test
-- compares them) and this trigger refuses anything else.
CREATE TABLE payout_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO payout_transitions (from_status, to_status) VALUES
    ('accepted', 'sending'), ('accepted', 'failed'),
    ('sending', 'sent'), ('sending', 'failed'), ('sending', 'unknown'),
    ('sending', 'received'), ('sending', 'refunding'), ('sending', 'refunded'), ('sending', 'needs_attention'),
    ('unknown', 'sent'), ('unknown', 'failed'), ('unknown', 'received'), ('unknown', 'refunding'),
    ('unknown', 'refunded'), ('unknown', 'needs_attention'),
    ('sent', 'received'), ('sent', 'refunding'), ('sent', 'refunded'), ('sent', 'needs_attention'),
    ('refunding', 'refunded'), ('refunding', 'received'), ('refunding', 'needs_attention'),
    ('needs_attention', 'sent'), ('needs_attention', 'received'), ('needs_attention', 'refunding'),
    ('needs_attention', 'refunded'), ('needs_attention', 'failed');

CREATE SEQUENCE billno_seq;

CREATE TABLE payouts (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    kind              text NOT NULL CHECK (kind IN ('normal', 'group')),
    mode              text NOT NULL CHECK (mode IN ('live', 'test')),
    status            text NOT NULL CHECK (status IN ('accepted', 'sending', 'sent', 'received', 'refunding', 'refunded',
                                                      'failed', 'unknown', 'needs_attention')),
    -- Asia/Shanghai day the reservations count against.
    day               date NOT NULL,
    -- The entity and billno of the current send (earlier ones, all failed, stay in payout_sends).
    merchant          text NOT NULL,
    mch_id            text NOT NULL,
    billno            text NOT NULL,
    appid             text NOT NULL,
    openid            text NOT NULL,
    amount_fen        bigint NOT NULL CHECK (amount_fen > 0),
    total_num         integer NOT NULL CHECK (total_num = 1 OR total_num BETWEEN 3 AND 20),
    wishing           text NOT NULL,
    act_name          text NOT NULL,
    remark            text NOT NULL,
    send_name         text NOT NULL,
    scene_id          text,
    risk_info         text,
    client_ip         text,
    -- What the tenant gave (send_name and client_ip above are what the current entity sends).
    order_send_name   text,
    order_client_ip   text,
    metadata          jsonb,
    request_id        text,
    -- tenant_usage stripe this payout's amount is reserved on (released from the same one).
    usage_stripe      smallint NOT NULL CHECK (usage_stripe BETWEEN 0 AND 15),
    send_listid       text,
    detail_id         text,
    refund_amount_fen bigint CHECK (refund_amount_fen IS NULL OR refund_amount_fen >= 0),
    receivers         jsonb NOT NULL DEFAULT '[]'::jsonb,
    error_code        text,
    error_message     text,
    error_class       text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz,
    final_at          timestamptz,
    -- When the reconciler should look at it next (NULL: nothing to do).
    next_check_at     timestamptz,
    checks            integer NOT NULL DEFAULT 0,
    UNIQUE (mch_id, billno)
);
CREATE INDEX payouts_tenant_created ON payouts (tenant_id, created_at DESC, id DESC);
CREATE INDEX payouts_tenant_openid ON payouts (tenant_id, openid, created_at DESC);
CREATE INDEX payouts_tenant_day_status ON payouts (tenant_id, day, status);
CREATE INDEX payouts_due ON payouts (next_check_at) WHERE next_check_at IS NOT NULL;

CREATE FUNCTION payouts_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status
       AND NOT EXISTS (SELECT 1 FROM payout_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'payout % may not go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.amount_fen IS DISTINCT FROM OLD.amount_fen OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id
       OR NEW.openid IS DISTINCT FROM OLD.openid OR NEW.appid IS DISTINCT FROM OLD.appid THEN
        RAISE EXCEPTION 'payout % may not change its tenant, user or amount', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_transition BEFORE UPDATE ON payouts FOR EACH ROW EXECUTE FUNCTION payouts_check_transition();

-- Every billno ever used, with the fields that make a resend identical. Never reused,
-- never deleted. At most one billno per payout is not definitely failed: a new billno
-- (another entity) is only ever made once every earlier one is known to have paid nothing.
CREATE TABLE payout_sends (
    mch_id     text NOT NULL,
    billno     text NOT NULL CHECK (billno ~ '^[0-9A-Za-z]{1,28}$'),
    payout_id  uuid NOT NULL REFERENCES payouts (id),
    merchant   text NOT NULL,
    send_name  text NOT NULL,
    client_ip  text,
    state      text NOT NULL CHECK (state IN ('open', 'failed', 'paid')),
    created_at timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz,
    PRIMARY KEY (mch_id, billno)
);
CREATE UNIQUE INDEX payout_sends_one_live ON payout_sends (payout_id) WHERE state <> 'failed';

CREATE TABLE payout_attempts (
    id          bigserial PRIMARY KEY,
    payout_id   uuid NOT NULL REFERENCES payouts (id),
    mch_id      text NOT NULL,
    billno      text NOT NULL,
    api         text NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('success', 'failure', 'not_sent', 'unknown')),
    err_code    text,
    err_message text,
    retry_class text,
    FOREIGN KEY (mch_id, billno) REFERENCES payout_sends (mch_id, billno)
);
CREATE INDEX payout_attempts_payout ON payout_attempts (payout_id, id);

-- Idempotency-Key per tenant: the request's hash, its payout, and the response first
-- given (replayed byte for byte). Kept at least 24 hours.
CREATE TABLE idempotency_keys (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    bytea NOT NULL CHECK (length(request_hash) = 32),
    -- Claimed first in the accepting transaction (so duplicates wait here, cheaply); the
    -- payout row follows in the same transaction.
    payout_id       uuid NOT NULL REFERENCES payouts (id) DEFERRABLE INITIALLY DEFERRED,
    response_status integer,
    response_body   bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

-- Reservations. Each counter is changed only inside the transaction that creates or
-- settles a payout; every limit check is the same UPDATE that reserves.
CREATE TABLE tenant_usage (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    day        date NOT NULL,
    -- Tenants without a budget spread over 16 stripes (no hot row); with a budget, stripe 0
    -- only, so the budget holds exactly.
    stripe     smallint NOT NULL CHECK (stripe BETWEEN 0 AND 15),
    amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
    count      integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (tenant_id, day, stripe)
);

-- Per mch_id: WeChat's limits belong to the merchant number.
CREATE TABLE merchant_usage (
    mch_id     text NOT NULL,
    day        date NOT NULL,
    amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
    count      integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (mch_id, day)
);

CREATE TABLE user_usage (
    mch_id     text NOT NULL,
    openid     text NOT NULL,
    day        date NOT NULL,
    count      integer NOT NULL CHECK (count >= 0),
    amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (mch_id, openid, day)
);

-- The per-minute limit as a ring of slots per mch_id: a send claims a slot last used
-- more than 60 seconds ago, so no 60-second window ever holds more sends than slots.
CREATE TABLE rate_slots (
    mch_id  text NOT NULL,
    slot    integer NOT NULL CHECK (slot >= 0),
    used_at timestamptz NOT NULL,
    PRIMARY KEY (mch_id, slot)
);
CREATE INDEX rate_slots_oldest ON rate_slots (mch_id, used_at);

-- Events for tenants' webhooks, written in the transaction of the change they report.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    payout_id  uuid NOT NULL REFERENCES payouts (id),
    event      text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_payout ON outbox (payout_id, id);

GRANT SELECT ON payout_transitions TO hongbao_app;
GRANT USAGE ON SEQUENCE billno_seq, payout_attempts_id_seq, outbox_id_seq TO hongbao_app;
GRANT SELECT, INSERT, UPDATE ON payouts, payout_sends, idempotency_keys, tenant_usage, merchant_usage, user_usage, rate_slots TO hongbao_app;
GRANT SELECT, INSERT ON payout_attempts, outbox TO hongbao_app;
