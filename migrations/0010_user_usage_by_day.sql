-- 0010: today's users of a merchant number, for `hongbao status` and the dashboard (how
-- close the busiest user is to per_user_per_day, how many are at it). user_usage's key
-- (mch_id, openid, day) would scan every day's rows of the merchant; this index reads
-- today's only. `count` is left out on purpose: every send updates it, and an indexed
-- column would stop those updates from being HOT.
CREATE INDEX user_usage_day ON user_usage (mch_id, day);
