import Foundation
import Postgres

/// Enabled/disabled and cool-down per entity, in PostgreSQL so every gateway instance
/// sees the same. An entity without a row is enabled and not cooling down.
public struct MerchantStateStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public func all() async throws -> [String: MerchantRuntimeState] {
        let rows = try await pool.query("SELECT name, enabled, reason, cooldown_until, cooldown_code FROM merchant_state").rows
        var out: [String: MerchantRuntimeState] = [:]
        for row in rows {
            let (name, enabled, reason, until, code) = try row.decode((String, Bool, String?, Date?, String?).self)
            out[name] = MerchantRuntimeState(enabled: enabled, reason: reason, cooldownUntil: until, cooldownCode: code)
        }
        return out
    }

    /// Enables or disables an entity and records who did it and why, atomically.
    public func setEnabled(_ name: String, _ enabled: Bool, reason: String?, actor: String) async throws {
        try await pool.transaction { connection in
            try connection.query("""
                INSERT INTO merchant_state (name, enabled, reason, updated_at) VALUES ($1, $2, $3, now())
                ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, reason = EXCLUDED.reason, updated_at = now()
                """, [name, enabled, reason])
            try AdminAudit.record(connection, actor: actor, action: enabled ? "merchant.enable" : "merchant.disable",
                                  merchant: name, detail: reason.map { ["reason": $0] } ?? [:])
        }
    }

    /// Routes around an entity until `until` after a configuration failure (engine use).
    public func coolDown(_ name: String, until: Date, code: String, actor: String) async throws {
        try await pool.transaction { connection in
            try Self.coolDown(connection, name, until: until, code: code, actor: actor)
        }
    }

    /// The same, on the caller's transaction (the engine's outcome transaction).
    public static func coolDown(_ connection: PostgresConnection, _ name: String, until: Date, code: String, actor: String) throws {
        try connection.query("""
            INSERT INTO merchant_state (name, cooldown_until, cooldown_code, updated_at) VALUES ($1, $2, $3, now())
            ON CONFLICT (name) DO UPDATE SET cooldown_until = greatest(merchant_state.cooldown_until, EXCLUDED.cooldown_until),
                                             cooldown_code = EXCLUDED.cooldown_code, updated_at = now()
            """, [name, until, code])
        try AdminAudit.record(connection, actor: actor, action: "merchant.cooldown", merchant: name,
                              detail: ["code": code, "until": until.formatted(.iso8601)])
    }
}
