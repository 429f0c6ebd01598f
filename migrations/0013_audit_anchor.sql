-- 0013: appends to the audit trail go only through audit_append (DESIGN.md §5).
--
-- Until now hongbao_app could INSERT into audit_log and INSERT/UPDATE audit_heads itself,
-- so the serving role could write a record that was never chained, or move a head. From
-- here on audit_append runs as its owner (SECURITY DEFINER) and is the only way in:
-- hongbao_app keeps SELECT on both tables and EXECUTE on the function, nothing more.
-- What the owner itself can still do is caught by signed checkpoints of the chain heads
-- (`hongbao audit checkpoint`, `audit verify --checkpoint`), which live outside the database.

-- A SECURITY DEFINER function resolves names through a search_path nobody else can
-- shape: pg_catalog first, then the schema the trail lives in (where these migrations
-- created it), pg_temp last (never a caller's temporary object).
DO $$
DECLARE
    v_schema name := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.oid = 'audit_log'::regclass);
BEGIN
    EXECUTE format('ALTER FUNCTION %I.audit_append(text, timestamptz, text, text, uuid, text, uuid, text, jsonb) '
                   'SECURITY DEFINER SET search_path = pg_catalog, %I, pg_temp', v_schema, v_schema);
END $$;

REVOKE ALL ON FUNCTION audit_append(text, timestamptz, text, text, uuid, text, uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(text, timestamptz, text, text, uuid, text, uuid, text, jsonb) TO hongbao_app;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log, audit_heads FROM hongbao_app;
REVOKE USAGE ON SEQUENCE audit_log_id_seq FROM hongbao_app;
GRANT SELECT ON audit_log, audit_heads TO hongbao_app;
