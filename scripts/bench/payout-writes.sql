-- pgbench: the database work of one POST /v1/redpacks, statement for statement as the
-- gateway sends it (scripts/bench.sh runs it beside the gateway and prints the ratio).
-- Reads: the key's lookup and the idempotency lookup. Transaction 1: idempotency key,
-- the entity's reservations in a savepoint (user/day, a 60-second slot, day amount),
-- the tenant's day, payout, billno, audit record. Transaction 2: attempt, billno closed,
-- status, audit record, outbox event, stored answer.
-- Variables from pgbench -D: tenant (uuid), mch (mch_id), day (YYYY-MM-DD), compact (YYYYMMDD).
-- (pgbench sends variables as untyped parameters: hence the casts.)
\set n random(1, 9000000000000000)
\set amount random(100, 20000)
\set stripe random(0, 15)
SELECT k.id, k.secret_hash, k.mode, k.expires_at, k.revoked_at, t.id, t.name, t.disabled_at, t.daily_budget_fen FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.lookup = 'hb_test_bench0000000';
SELECT request_hash, payout_id, response_status, response_body FROM idempotency_keys WHERE tenant_id = :tenant::uuid AND key = 'pgb-' || :n::bigint;
BEGIN;
INSERT INTO idempotency_keys (tenant_id, key, request_hash, payout_id) VALUES (:tenant::uuid, 'pgb-' || :n::bigint, sha256(:n::bigint::text::bytea), ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid) ON CONFLICT (tenant_id, key) DO NOTHING RETURNING tenant_id;
SAVEPOINT hongbao_sp;
INSERT INTO user_usage (mch_id, openid, day, count, amount_fen) VALUES (:mch::text, 'o' || :n::bigint, :day::date, 1, :amount) ON CONFLICT (mch_id, openid, day) DO UPDATE SET count = user_usage.count + 1, amount_fen = user_usage.amount_fen + EXCLUDED.amount_fen WHERE user_usage.count < 10 RETURNING count;
UPDATE rate_slots SET used_at = clock_timestamp() WHERE (mch_id, slot) = (SELECT mch_id, slot FROM rate_slots WHERE mch_id = :mch::text AND slot < 100000000 AND used_at < clock_timestamp() - interval '60 seconds' ORDER BY used_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING slot;
INSERT INTO merchant_usage (mch_id, day, amount_fen, count) VALUES (:mch::text, :day::date, :amount::bigint, 1) ON CONFLICT (mch_id, day) DO UPDATE SET amount_fen = merchant_usage.amount_fen + EXCLUDED.amount_fen, count = merchant_usage.count + 1 WHERE merchant_usage.amount_fen + EXCLUDED.amount_fen <= 900000000000 RETURNING amount_fen;
RELEASE SAVEPOINT hongbao_sp;
INSERT INTO tenant_usage (tenant_id, day, stripe, amount_fen, count) VALUES (:tenant::uuid, :day::date, :stripe::smallint, :amount::bigint, 1) ON CONFLICT (tenant_id, day, stripe) DO UPDATE SET amount_fen = tenant_usage.amount_fen + EXCLUDED.amount_fen, count = tenant_usage.count + 1;
INSERT INTO payouts (id, tenant_id, kind, mode, status, day, merchant, mch_id, billno, appid, openid, amount_fen, total_num, wishing, act_name, remark, send_name, scene_id, risk_info, client_ip, metadata, request_id, usage_stripe, created_at, updated_at, order_send_name, order_client_ip, next_check_at) VALUES (('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, :tenant::uuid, 'normal', 'test', 'sending', :day::date, 'bench-0', :mch::text, :mch::text || :compact::text || lpad((nextval('billno_seq') % 10000000000)::text, 10, '0'), 'wx8888888888888888', 'o' || :n::bigint, :amount::bigint, 1, 'w', 'bench', 'r', 'bench', NULL, NULL, '127.0.0.1', NULL, 'pgbench', :stripe::smallint, now(), now(), NULL, NULL, now() + interval '60 seconds') RETURNING id, billno;
INSERT INTO payout_sends (mch_id, billno, payout_id, merchant, send_name, client_ip, state) SELECT mch_id, billno, id, merchant, send_name, client_ip, 'open' FROM payouts WHERE id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid;
SELECT audit_append('tenant:' || :tenant::uuid || ':' || (:n::bigint % 16), now(), 'key' || chr(58) || 'hb_test_bench0000000', 'payout.accepted', :tenant::uuid, 'bench-0', ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, 'pgbench', jsonb_build_object('amount_fen', :amount::bigint::text, 'mch_id', :mch::text));
COMMIT;
BEGIN;
INSERT INTO payout_attempts (payout_id, mch_id, billno, api, started_at, finished_at, outcome, err_code, err_message, retry_class) SELECT id, mch_id, billno, 'sendredpack', now(), now(), 'success', NULL, NULL, NULL FROM payouts WHERE id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid;
UPDATE payout_sends SET state = 'paid', closed_at = now() WHERE payout_id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid AND state = 'open';
UPDATE payouts SET status = 'sent', updated_at = now(), send_listid = 'L' || :n::bigint, sent_at = now(), next_check_at = now() + interval '60 seconds' WHERE id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid RETURNING id, status;
SELECT audit_append('tenant:' || :tenant::uuid || ':' || (:n::bigint % 16), now(), 'key' || chr(58) || 'hb_test_bench0000000', 'payout.sent', :tenant::uuid, 'bench-0', ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, 'pgbench', jsonb_build_object('amount_fen', :amount::bigint::text, 'mch_id', :mch::text));
INSERT INTO outbox (tenant_id, payout_id, event, payload) VALUES (:tenant::uuid, ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid, 'redpack.sent', jsonb_build_object('amount_fen', :amount::bigint::text));
UPDATE idempotency_keys SET response_status = 201, response_body = '\x7b7d' WHERE tenant_id = :tenant::uuid AND payout_id = ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint % 281474976710656), 12, '0'))::uuid AND response_status IS NULL;
COMMIT;
