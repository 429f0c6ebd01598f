-- 0009: tenants' webhooks (DESIGN.md §6). Endpoints a tenant registers, one delivery per
-- outbox event and matching endpoint, and every attempt to deliver it.
--
-- Fan-out happens in the database: a trigger on `outbox` (0006) inserts the deliveries in
-- the very transaction that wrote the event, so an event is never lost between the engine
-- and the dispatcher, and the engine's code does not change. An endpoint registered later
-- does not receive older events.

CREATE TABLE webhook_endpoints (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    -- Receives events only of payouts made with a key of this mode.
    mode                 text NOT NULL CHECK (mode IN ('live', 'test')),
    url                  text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    description          text CHECK (description IS NULL OR length(description) <= 256),
    -- The HMAC-SHA256 key deliveries are signed with, sealed with AES-256-GCM under the
    -- key-encryption key in HONGBAO_KEK (Gateway/SecretSealer.swift): signing needs the
    -- secret itself, so unlike an API key it cannot be a hash, and it is never in clear
    -- here. Shown to the tenant once, at creation, and never returned or logged after that.
    secret_sealed        bytea NOT NULL CHECK (length(secret_sealed) > 33),
    -- Event types subscribed to; NULL means every type, including ones added later.
    events               text[] CHECK (events IS NULL OR cardinality(events) >= 1),
    -- Set by the dispatcher when deliveries keep failing (or by an operator); the reason is
    -- shown to the tenant. A disabled endpoint gets no new deliveries and none is attempted.
    disabled_at          timestamptz,
    disabled_reason      text,
    -- Failed attempts in a row (any delivery), and when the first of them happened.
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    failing_since        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    -- Removed by the tenant or an operator: invisible, receives nothing; kept for history.
    removed_at           timestamptz,
    CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL))
);
-- The trigger's lookup: a tenant's live endpoints.
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, mode) WHERE removed_at IS NULL AND disabled_at IS NULL;

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id),
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    outbox_id       bigint NOT NULL REFERENCES outbox (id),
    payout_id       uuid NOT NULL,
    event           text NOT NULL,
    -- The event's id as tenants see it (`id` in the body): the same for every endpoint.
    event_id        uuid NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When it is due; while an attempt runs, the end of that attempt's lease; a century
    -- ahead while its endpoint is disabled (so claims do not scan past it).
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- The lease of the attempt in progress: only its holder records the result.
    lease           uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Set by a redelivery: retries run for the retry window from here (else created_at).
    requeued_at     timestamptz,
    delivered_at    timestamptz,
    last_status     integer,
    last_error      text,
    UNIQUE (endpoint_id, outbox_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
-- Ordering per payout: an earlier pending delivery of the same payout to the same endpoint.
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, payout_id, outbox_id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);

CREATE TABLE webhook_attempts (
    id          bigserial PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id),
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id),
    -- Every table carries the tenant (DESIGN.md §10: the distribution column past one primary).
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    number      integer NOT NULL CHECK (number >= 1),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    -- The address the request went to (resolved, checked and pinned), when it got that far.
    address     text,
    -- The receiver's HTTP status; NULL when there was none (refused target, transport error, timeout).
    http_status integer,
    error       text,
    CHECK (http_status IS NOT NULL OR error IS NOT NULL)
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- One delivery per enabled endpoint of the tenant, of the payout's mode, subscribed to the
-- event; one NOTIFY (delivered at commit) only when there is something to deliver. A tenant
-- without endpoints costs one index probe. Runs with the inserting role's rights.
CREATE FUNCTION webhook_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_mode  text;
    v_count integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
                   WHERE tenant_id = NEW.tenant_id AND removed_at IS NULL AND disabled_at IS NULL) THEN
        RETURN NULL;
    END IF;
    SELECT mode INTO v_mode FROM payouts WHERE id = NEW.payout_id;
    INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, outbox_id, payout_id, event, event_id, created_at, next_attempt_at)
    SELECT gen_random_uuid(), e.id, NEW.tenant_id, NEW.id, NEW.payout_id, NEW.event, ev.id, NEW.created_at, NEW.created_at
    FROM webhook_endpoints e, (SELECT gen_random_uuid() AS id) ev
    WHERE e.tenant_id = NEW.tenant_id AND e.mode = v_mode AND e.removed_at IS NULL AND e.disabled_at IS NULL
      AND (e.events IS NULL OR NEW.event = ANY (e.events));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count > 0 THEN
        PERFORM pg_notify('hongbao_webhooks', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_webhook_fan_out AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION webhook_fan_out();

-- The gateway and the CLI: endpoints are created, listed, disabled and removed (never
-- deleted); deliveries move through their states; attempts are only ever added.
GRANT SELECT, INSERT, UPDATE ON webhook_endpoints, webhook_deliveries TO hongbao_app;
GRANT SELECT, INSERT ON webhook_attempts TO hongbao_app;
GRANT USAGE ON SEQUENCE webhook_attempts_id_seq TO hongbao_app;
