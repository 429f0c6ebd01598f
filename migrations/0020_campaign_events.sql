-- 0020: rule-triggered sends (满额送, issue 18 item 3). A campaign may carry a rule — a
-- minimum paid amount, or tiers (paid ≥ A → reward a) — and the tenant reports its users'
-- payments as events; each event's `event_id` is its idempotency key.
ALTER TABLE campaigns ADD COLUMN rule jsonb;

-- Each event's answer, first writer wins, except that a packet actually sent always wins
-- (two copies of one event racing: one refused, the other sent — the record says sent).
-- The request is kept so the same event_id with another body is refused, not answered.
CREATE TABLE campaign_events (
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 128),
    openid      text NOT NULL,
    paid_fen    bigint NOT NULL CHECK (paid_fen >= 0),
    occurred_at timestamptz NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('sent', 'not_sent')),
    reason      text CHECK ((outcome = 'not_sent') = (reason IS NOT NULL)),
    payout_id   uuid CHECK ((outcome = 'sent') = (payout_id IS NOT NULL)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, event_id)
);

GRANT SELECT, INSERT, UPDATE ON campaign_events TO hongbao_app;
