-- 0021: an entity's daily amount is reserved on one of 8 stripes, each holding a share of
-- the day's limit (escrow), instead of on one row per entity and day that every payout of
-- that entity updated and held locked through its commit (issue 19: the first wait at 32
-- clients). The limit stays exact on every instance:
--   invariant: for every stripe amount_fen <= cap_fen, and the caps of an entity's day sum
--   to its limit (limit_fen), so the amounts never sum past the limit.
-- A payout reserves on its own stripe (chosen from its id, so its release and refund find
-- it). While the stripe's share has room, that one row is all it touches. When it has not,
-- the day's stripes are locked in stripe order, the limit checked against their sum (no
-- refusal while the entity as a whole has room) and the shares cut again from what is
-- left. A share cut for another limit (the file changed) or unset counts as empty.
-- The stripes are merchant_usage_stripes; merchant_usage becomes a view of their sums per
-- entity and day, so every reader is unchanged — and an instance of an older version,
-- whose upserts and releases name merchant_usage, fails on the view (its transaction
-- undone, nothing reserved or paid) instead of writing one row of eight.

ALTER TABLE merchant_usage RENAME TO merchant_usage_stripes;
ALTER TABLE merchant_usage_stripes
    ADD COLUMN stripe smallint NOT NULL DEFAULT 0 CHECK (stripe BETWEEN 0 AND 7),
    ADD COLUMN cap_fen bigint,
    ADD COLUMN limit_fen bigint,
    DROP CONSTRAINT merchant_usage_pkey,
    ADD PRIMARY KEY (mch_id, day, stripe);
COMMENT ON COLUMN merchant_usage_stripes.stripe IS 'escrow stripe (0-7) of the payouts whose id chose it';
COMMENT ON COLUMN merchant_usage_stripes.cap_fen IS 'this stripe''s share of the day''s limit; NULL or cut for another limit_fen: none';
COMMENT ON COLUMN merchant_usage_stripes.limit_fen IS 'the daily limit the shares were cut from';

CREATE VIEW merchant_usage AS
    SELECT mch_id, day, sum(amount_fen)::bigint AS amount_fen, sum(count)::integer AS count
    FROM merchant_usage_stripes GROUP BY mch_id, day;
GRANT SELECT ON merchant_usage TO hongbao_app;

CREATE FUNCTION hb_merchant_reserve(p_mch text, p_day date, p_stripe smallint, p_fen bigint, p_limit bigint) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    used bigint;
    left_fen bigint;
BEGIN
    -- The fast path runs in a subtransaction that is undone when it finds no room: an UPDATE
    -- that waited for the row and then found it no longer matching keeps the row locked,
    -- and holding one stripe while locking all in order below would deadlock with a cut.
    BEGIN
        UPDATE merchant_usage_stripes SET amount_fen = amount_fen + p_fen, count = count + 1
        WHERE mch_id = p_mch AND day = p_day AND stripe = p_stripe AND limit_fen = p_limit AND amount_fen + p_fen <= cap_fen;
        IF FOUND THEN
            RETURN;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'HB001';
    EXCEPTION WHEN SQLSTATE 'HB001' THEN
        NULL;
    END;
    INSERT INTO merchant_usage_stripes (mch_id, day, stripe, amount_fen, count)
    SELECT p_mch, p_day, s, 0, 0 FROM generate_series(0, 7) s
    ON CONFLICT (mch_id, day, stripe) DO NOTHING;
    PERFORM 1 FROM merchant_usage_stripes WHERE mch_id = p_mch AND day = p_day ORDER BY stripe FOR UPDATE;
    SELECT sum(amount_fen) INTO used FROM merchant_usage_stripes WHERE mch_id = p_mch AND day = p_day;
    IF used + p_fen > p_limit THEN
        RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'daily_amount';
    END IF;
    left_fen := p_limit - used - p_fen;
    UPDATE merchant_usage_stripes
    SET amount_fen = amount_fen + CASE WHEN stripe = p_stripe THEN p_fen ELSE 0 END,
        count = count + CASE WHEN stripe = p_stripe THEN 1 ELSE 0 END,
        cap_fen = amount_fen + CASE WHEN stripe = p_stripe THEN p_fen + left_fen % 8 ELSE 0 END + left_fen / 8,
        limit_fen = p_limit
    WHERE mch_id = p_mch AND day = p_day;
END $$;

-- A payment counted again without a check (WeChat counted it: DoublePayment): it may pass
-- its stripe's share, so every share of that day is voided and the next reservation cuts
-- them again from the true sum. Stripes locked in order, like a reservation's cut.
CREATE FUNCTION hb_merchant_count_again(p_mch text, p_day date, p_stripe smallint, p_fen bigint) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO merchant_usage_stripes (mch_id, day, stripe, amount_fen, count)
    SELECT p_mch, p_day, s, 0, 0 FROM generate_series(0, 7) s
    ON CONFLICT (mch_id, day, stripe) DO NOTHING;
    PERFORM 1 FROM merchant_usage_stripes WHERE mch_id = p_mch AND day = p_day ORDER BY stripe FOR UPDATE;
    UPDATE merchant_usage_stripes
    SET amount_fen = amount_fen + CASE WHEN stripe = p_stripe THEN p_fen ELSE 0 END,
        count = count + CASE WHEN stripe = p_stripe THEN 1 ELSE 0 END,
        limit_fen = NULL
    WHERE mch_id = p_mch AND day = p_day;
END $$;

-- Gives back p_fen and p_count (1 for a payout that paid nothing, 0 for the unclaimed part
-- of a refund) from the payout's stripe. A reservation made before these stripes lies on
-- stripe 0 (the old row), so when the payout's own stripe has not that much, any stripe
-- that has gives it back: the limit reads only the sum, and a smaller amount never passes
-- its share. Only one row is locked, so this cannot deadlock with a cut.
CREATE FUNCTION hb_merchant_release(p_mch text, p_day date, p_stripe smallint, p_fen bigint, p_count integer) RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
    UPDATE merchant_usage_stripes SET amount_fen = amount_fen - p_fen, count = count - p_count
    WHERE mch_id = p_mch AND day = p_day AND stripe = p_stripe AND amount_fen >= p_fen AND count >= p_count;
    IF FOUND THEN
        RETURN;
    END IF;
    UPDATE merchant_usage_stripes SET amount_fen = amount_fen - p_fen, count = count - p_count
    WHERE (mch_id, day, stripe) = (SELECT mch_id, day, stripe FROM merchant_usage_stripes
                                   WHERE mch_id = p_mch AND day = p_day AND amount_fen >= p_fen AND count >= p_count
                                   ORDER BY stripe LIMIT 1)
      AND amount_fen >= p_fen AND count >= p_count;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = 'reservation_missing';
    END IF;
END $$;
