-- The dashboard's sessions, kept on the server (issue 15 item 7). A session cookie names
-- the generation it was signed in; it is valid only while that is still the generation
-- here, so signing out (which moves it on) ends every session on every instance, and a
-- stolen cookie dies with the next sign-out. Changing the admin token ends them too (the
-- cookie's signing key is derived from it).
CREATE TABLE admin_session_generation (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint NOT NULL DEFAULT 1 CHECK (generation >= 1),
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO admin_session_generation DEFAULT VALUES;

-- Sign-in link codes already used, until they expire: each works once across instances.
CREATE TABLE admin_login_codes (
    nonce      text PRIMARY KEY CHECK (length(nonce) = 32),
    expires_at timestamptz NOT NULL
);

GRANT SELECT, UPDATE ON admin_session_generation TO hongbao_app;
GRANT SELECT, INSERT, DELETE ON admin_login_codes TO hongbao_app;
