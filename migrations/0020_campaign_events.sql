-- 0020: rule-triggered sends (满额送, issue 18 item 3). A campaign may carry a rule — a
-- minimum paid amount, or tiers (paid ≥ A → reward a) — and the tenant reports its users'
-- payments as events; each event's `event_id` is its idempotency key.
ALTER TABLE campaigns ADD COLUMN rule jsonb;

-- Each event, claimed before anything is decided (`pending`), with the payment it reported
-- (the same event_id with another payment is refused), then its answer: `not_sent` and why,
-- or `sent` and the payout. A packet sent always wins: a claim whose copy found a packet
-- under the event's key says sent, whatever another copy decided.
CREATE TABLE campaign_events (
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 128),
    openid      text NOT NULL,
    paid_fen    bigint NOT NULL CHECK (paid_fen >= 0),
    occurred_at timestamptz NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('pending', 'sent', 'not_sent')),
    reason      text CHECK ((outcome = 'not_sent') = (reason IS NOT NULL)),
    payout_id   uuid CHECK ((outcome = 'sent') = (payout_id IS NOT NULL)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, event_id)
);

GRANT SELECT, INSERT, UPDATE ON campaign_events TO hongbao_app;
