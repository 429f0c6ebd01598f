-- 0005: tenants and their API keys (DESIGN.md §6). Keys are stored as SHA-256 with a
-- lookup prefix; the key itself is shown once at issue and never stored.
CREATE TABLE tenants (
    id               uuid PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    -- Fen per Asia/Shanghai day; NULL means no budget (said so wherever it is shown).
    daily_budget_fen bigint CHECK (daily_budget_fen IS NULL OR daily_budget_fen > 0),
    disabled_at      timestamptz,
    disabled_reason  text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    mode           text NOT NULL CHECK (mode IN ('live', 'test')),
    -- hb_<mode>_ plus the first 12 characters of the random part: finds the row, safe to show.
    lookup         text NOT NULL UNIQUE,
    secret_hash    bytea NOT NULL CHECK (length(secret_hash) = 32),
    label          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz,
    revoked_at     timestamptz,
    revoked_reason text,
    replaced_by    uuid REFERENCES api_keys (id)
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

GRANT SELECT, INSERT, UPDATE ON tenants, api_keys TO hongbao_app;
