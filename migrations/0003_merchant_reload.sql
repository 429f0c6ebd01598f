-- 0003: a reload generation every gateway instance compares after (re)connecting its
-- listener and on a slow poll, so a NOTIFY lost during a reconnect is still acted on.
CREATE TABLE merchant_reload (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation   bigint NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    requested_by text NOT NULL
);
INSERT INTO merchant_reload (generation, requested_by) VALUES (0, 'migration');
