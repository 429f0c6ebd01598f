-- 0014: security hardening (issue 15): refresh throttling, and no function or schema an
-- unprivileged role can bend.

-- A tenant's refreshes per minute (`RefreshLimits`): one row per tenant, mode and minute
-- of the database's clock, so every instance counts the same; rows of past minutes are
-- dropped as the tenant's next refresh comes.
CREATE TABLE refresh_windows (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    mode      text NOT NULL CHECK (mode IN ('live', 'test')),
    minute    timestamptz NOT NULL,
    count     integer NOT NULL CHECK (count >= 0),
    PRIMARY KEY (tenant_id, mode, minute)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_windows TO hongbao_app;

-- Nobody but the owner creates objects in the schema (PostgreSQL 15 made this the default
-- for new databases; a database upgraded from an older one keeps the old grant).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Every function resolves names through a fixed search_path: pg_catalog first, then the
-- schema the gateway's tables live in, pg_temp last — never through a caller's path,
-- where a role that can create objects could plant a function or operator a trigger would
-- then run with its owner's rights. Functions of later migrations set it themselves.
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS signature
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.prokind = 'f'
          AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search_path=%')
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f.signature, current_schema());
    END LOOP;
END $$;
