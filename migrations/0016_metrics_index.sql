-- /metrics reads today's payouts by merchant and status on every refresh of its cache
-- (`WHERE created_at >= start of today`). No index led with created_at, so each refresh
-- scanned the whole table: an index-only scan of today's rows now (issue 15 item 1).
CREATE INDEX payouts_created ON payouts (created_at) INCLUDE (merchant, status);
