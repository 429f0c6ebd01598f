-- 0002: runtime state of merchant entities that operators change and every gateway
-- instance must agree on (DESIGN.md §3). The entities themselves live in merchants.d.
CREATE TABLE merchant_state (
    name           text PRIMARY KEY,
    enabled        boolean NOT NULL DEFAULT true,
    reason         text,
    cooldown_until timestamptz,
    cooldown_code  text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
