-- 0004: least privilege and the hash-chained audit trail (DESIGN.md §5).
--
-- hongbao_app is the NOLOGIN group role the gateway and the CLI work as (through any
-- login role that is a member of it). It may INSERT and SELECT the audit log and nothing
-- more there: no UPDATE, DELETE or TRUNCATE, and no ownership, so it cannot disable the
-- triggers either. The owner (who runs migrations) can; the chain catches that.
-- Roles belong to the cluster, not the database: another database's migration may be
-- creating it at this very moment, hence the exception rather than a check.
-- Creating it needs CREATEROLE; where a DBA made it beforehand, the owner needs none.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hongbao_app') THEN
        CREATE ROLE hongbao_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

-- One row per chain: the last record's sequence number and hash. Chains: 'admin' for
-- operator and credential actions, 'tenant:<uuid>:<stripe>' for money (16 stripes per
-- tenant, chosen by payout id, so no single row serialises every payout).
CREATE TABLE audit_heads (
    chain text PRIMARY KEY,
    seq   bigint NOT NULL CHECK (seq >= 0),
    hash  bytea NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    chain       text NOT NULL,
    seq         bigint NOT NULL CHECK (seq >= 1),
    prev_hash   bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    occurred_at timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    tenant_id   uuid,
    merchant    text,
    payout_id   uuid,
    request_id  text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_log_payout ON audit_log (payout_id, id) WHERE payout_id IS NOT NULL;
CREATE INDEX audit_log_merchant ON audit_log (merchant, id) WHERE merchant IS NOT NULL;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id) WHERE tenant_id IS NOT NULL;

-- The text that is hashed: every field, unit-separated, the time as microseconds since
-- 1970 and the detail in jsonb's own (deterministic) text form. `hongbao audit verify`
-- rebuilds the same text independently from the stored row.
CREATE FUNCTION audit_canonical(p_chain text, p_seq bigint, p_occurred_at timestamptz, p_actor text, p_action text,
                                p_tenant uuid, p_merchant text, p_payout uuid, p_request_id text, p_detail jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(chr(31), p_chain, p_seq::text,
                     (floor(extract(epoch FROM p_occurred_at) * 1000000))::bigint::text,
                     p_actor, p_action, coalesce(p_tenant::text, ''), coalesce(p_merchant, ''),
                     coalesce(p_payout::text, ''), coalesce(p_request_id, ''), p_detail::text)
$$;

-- Appends one record to a chain: hash = SHA-256(prev_hash || canonical record). Locks
-- only that chain's head until the caller's transaction ends.
CREATE FUNCTION audit_append(p_chain text, p_occurred_at timestamptz, p_actor text, p_action text, p_tenant uuid,
                             p_merchant text, p_payout uuid, p_request_id text, p_detail jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_seq  bigint;
    v_prev bytea;
    v_hash bytea;
    v_at   timestamptz := date_trunc('microseconds', p_occurred_at);
BEGIN
    SELECT seq, hash INTO v_seq, v_prev FROM audit_heads WHERE chain = p_chain FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_heads (chain, seq, hash) VALUES (p_chain, 0, '\x0000000000000000000000000000000000000000000000000000000000000000')
            ON CONFLICT (chain) DO NOTHING;
        SELECT seq, hash INTO v_seq, v_prev FROM audit_heads WHERE chain = p_chain FOR UPDATE;
    END IF;
    v_seq := v_seq + 1;
    v_hash := sha256(v_prev || convert_to(audit_canonical(p_chain, v_seq, v_at, p_actor, p_action, p_tenant, p_merchant,
                                                          p_payout, p_request_id, p_detail), 'UTF8'));
    UPDATE audit_heads SET seq = v_seq, hash = v_hash WHERE chain = p_chain;
    INSERT INTO audit_log (chain, seq, prev_hash, hash, occurred_at, actor, action, tenant_id, merchant, payout_id, request_id, detail)
        VALUES (p_chain, v_seq, v_prev, v_hash, v_at, p_actor, p_action, p_tenant, p_merchant, p_payout, p_request_id, p_detail);
    RETURN v_seq;
END $$;

-- History is never rewritten: UPDATE, DELETE and TRUNCATE are refused.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The first form of the trail (0001) is carried into the admin chain, in order.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM audit_events ORDER BY id LOOP
        PERFORM audit_append('admin', r.occurred_at, r.actor, r.action,
            CASE WHEN r.tenant_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN r.tenant_id::uuid END,
            r.merchant, r.payout_id, r.request_id,
            r.detail || CASE WHEN r.tenant_id IS NOT NULL AND r.tenant_id !~* '^[0-9a-f-]{36}$'
                             THEN jsonb_build_object('tenant', r.tenant_id) ELSE '{}'::jsonb END);
    END LOOP;
END $$;
DROP TABLE audit_events;
DROP FUNCTION audit_events_refuse_change();

REVOKE ALL ON audit_log, audit_heads FROM PUBLIC;
GRANT SELECT, INSERT ON audit_log TO hongbao_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO hongbao_app;
-- Heads move with every append; a forged head only breaks the chain at the next record.
GRANT SELECT, INSERT, UPDATE ON audit_heads TO hongbao_app;
GRANT SELECT ON schema_migrations TO hongbao_app;
GRANT SELECT, INSERT, UPDATE ON merchant_state TO hongbao_app;
GRANT SELECT, UPDATE ON merchant_reload TO hongbao_app;
