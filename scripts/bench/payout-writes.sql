-- pgbench: the database work of one POST /v1/redpacks, statement for statement as the
-- gateway sends it (scripts/bench-gateway.sh runs it beside the gateway and prints the
-- ratio): the key's lookup; transaction 1 as one pipeline (idempotency key, the entity's
-- reservations — user/day, a 60-second slot, day amount on its escrow stripe — the tenant's day, payout +
-- billno, audit record); transaction 2 as one pipeline (attempt, billno closed, status,
-- audit record, outbox event, stored answer; its commit waits for the disk, as the gateway's
-- does when it stores the tenant's answer: a replay must find what the tenant was told).
-- Variables from pgbench -D: day (YYYY-MM-DD), compact (YYYYMMDD), clients (pgbench -c),
-- and spread: 1 for the realistic spread (each payout a random one of 50 tenants and 100
-- entities), 0 for the uncontended ceiling (each client its own tenant and its own
-- entities, so no two clients ever touch one row). Tenant t is the uuid
-- 00000000-0000-4000-a000-<t, 12 digits>, entity m is mch_id 1920000000 + m; both are made
-- by scripts/bench-gateway.sh (entities 0…199, each a ring of 1,800 rate slots).
-- (pgbench sends variables as untyped parameters: hence the casts. It also reads `:name`
-- inside string literals as a variable, hence chr(58) for a colon.)
\set n random(1, 9000000000000000)
\set amount random(100, 20000)
\set stripe random(0, 63)
\set user random(1, 1000000)
\if :spread
\set t random(0, 49)
\set m random(0, 99)
\else
\set t :client_id
\set m :client_id + :clients * random(0, (199 - :client_id) / :clients)
\endif
\set mch 1920000000 + :m
SELECT k.id, k.secret_hash, k.mode, k.expires_at, k.revoked_at, t.id, t.name, t.disabled_at, t.daily_budget_fen FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.lookup = 'hb_test_bench0000000';
\startpipeline
BEGIN;
WITH changed AS (INSERT INTO idempotency_keys (tenant_id, key, request_hash, payout_id, mode) VALUES (('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid, 'pgb-' || :n::bigint, sha256(:n::bigint::text::bytea), ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, 'test') ON CONFLICT (tenant_id, mode, key) DO NOTHING RETURNING 1) SELECT hb_require(EXISTS (SELECT 1 FROM changed), 'duplicate');
WITH changed AS (INSERT INTO user_usage (mch_id, openid, day, count, amount_fen) VALUES (:mch::text, 'oU' || :user::bigint, :day::date, 1, :amount::bigint) ON CONFLICT (mch_id, openid, day) DO UPDATE SET count = user_usage.count + 1, amount_fen = user_usage.amount_fen + EXCLUDED.amount_fen WHERE user_usage.count < 10 RETURNING 1) SELECT hb_require(EXISTS (SELECT 1 FROM changed), 'user_daily_count');
WITH changed AS (UPDATE rate_slots SET used_at = clock_timestamp() WHERE (mch_id, slot) = (SELECT mch_id, slot FROM rate_slots WHERE mch_id = :mch::text AND slot < 100000 AND used_at < clock_timestamp() - interval '60 seconds' ORDER BY used_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT hb_require(EXISTS (SELECT 1 FROM changed), 'rate_limited');
SELECT hb_merchant_reserve(:mch::text, :day::date, (:n::bigint % 8)::smallint, :amount::bigint, 900000000000);
INSERT INTO tenant_usage (tenant_id, day, stripe, amount_fen, count, mode) VALUES (('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid, :day::date, :stripe::smallint, :amount::bigint, 1, 'test') ON CONFLICT (tenant_id, mode, day, stripe) DO UPDATE SET amount_fen = tenant_usage.amount_fen + EXCLUDED.amount_fen, count = tenant_usage.count + 1;
WITH p AS (INSERT INTO payouts (id, tenant_id, kind, mode, status, day, merchant, mch_id, billno, appid, openid, amount_fen, total_num, wishing, act_name, remark, send_name, scene_id, risk_info, client_ip, metadata, request_id, usage_stripe, created_at, updated_at, order_send_name, order_client_ip, next_check_at) VALUES (('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, ('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid, 'normal', 'test', 'sending', :day::date, 'bench-0', :mch::text, :mch::text || :compact::text || lpad((nextval('billno_seq') % 10000000000)::text, 10, '0'), 'wx8888888888888888', 'oU' || :user::bigint, :amount::bigint, 1, 'w', 'bench', 'r', 'bench', NULL, NULL, '127.0.0.1', NULL, 'pgbench', :stripe::smallint, now(), now(), NULL, NULL, now() + interval '60 seconds') RETURNING *), s AS (INSERT INTO payout_sends (mch_id, billno, payout_id, merchant, send_name, client_ip, state) SELECT mch_id, billno, id, merchant, send_name, client_ip, 'open' FROM p) SELECT id, billno, status FROM p;
SELECT audit_append('tenant:' || ('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid || ':' || (:n::bigint % 64), now(), 'key' || chr(58) || 'hb_test_bench0000000', 'payout.accepted', tenant_id, merchant, id, 'pgbench', jsonb_build_object('status', status, 'mch_id', mch_id, 'billno', billno, 'amount_fen', amount_fen::text, 'openid', openid, 'appid', appid, 'kind', kind, 'total_num', total_num::text)) FROM payouts WHERE id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid;
COMMIT;
\endpipeline
\startpipeline
BEGIN;
SET LOCAL synchronous_commit TO on;
INSERT INTO payout_attempts (payout_id, mch_id, billno, api, started_at, finished_at, outcome, err_code, err_message, retry_class) SELECT id, mch_id, billno, 'sendredpack', now(), now(), 'success', NULL, NULL, NULL FROM payouts WHERE id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid;
WITH changed AS (UPDATE payout_sends SET state = 'paid', closed_at = now() WHERE payout_id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid AND state = 'open' RETURNING 1) SELECT hb_require(EXISTS (SELECT 1 FROM changed), 'billno_not_open');
WITH changed AS (UPDATE payouts SET status = 'sent', updated_at = now(), error_code = NULL, error_message = NULL, error_class = NULL, send_listid = 'L' || :n::bigint, detail_id = NULL, refund_amount_fen = NULL, receivers = '[]', sent_at = now(), final_at = NULL, next_check_at = now() + interval '60 seconds', merchant = merchant, mch_id = mch_id, billno = billno, send_name = send_name, client_ip = client_ip WHERE id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid AND updated_at <= now() RETURNING 1) SELECT hb_require(EXISTS (SELECT 1 FROM changed), 'payout_changed');
SELECT audit_append('tenant:' || ('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid || ':' || (:n::bigint % 64), now(), 'key' || chr(58) || 'hb_test_bench0000000', 'payout.sent', ('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid, 'bench-0', ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, 'pgbench', jsonb_build_object('amount_fen', :amount::bigint::text, 'mch_id', :mch::text, 'billno', 'B' || :n::bigint, 'status', 'sent', 'openid', 'oU' || :user::bigint, 'appid', 'wx8888888888888888', 'kind', 'normal', 'total_num', '1'));
INSERT INTO outbox (tenant_id, payout_id, event, payload) VALUES (('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid, ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, 'redpack.sent', jsonb_build_object('amount_fen', :amount::bigint::text));
UPDATE idempotency_keys SET response_status = 201, response_body = '\x7b7d' WHERE tenant_id = ('00000000-0000-4000-a000-' || lpad(:t::text, 12, '0'))::uuid AND payout_id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid AND response_status IS NULL;
COMMIT;
\endpipeline
