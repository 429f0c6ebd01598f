-- 0007: a refusal a statement can raise, so a whole transaction can be sent in one round
-- trip (libpq pipeline mode) and still stop at the first reservation that does not fit:
-- `WITH r AS (… RETURNING 1) SELECT hb_require(EXISTS (SELECT 1 FROM r), 'user_daily_count')`.
-- SQLSTATE HB000; the message is the refusal's code.
CREATE FUNCTION hb_require(ok boolean, refusal text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ok THEN
        RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = refusal;
    END IF;
END $$;
