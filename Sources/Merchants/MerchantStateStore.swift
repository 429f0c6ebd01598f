import Audit
import Foundation
import Postgres

/// Enabled/disabled and cool-down per entity, in PostgreSQL so every gateway instance
/// sees the same. An entity without a row is enabled and not cooling down.
public struct MerchantStateStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Every entity's state. A cool-down's end is read as the time left on the database's
    /// clock and placed on this instance's, so routing (which compares with this instance's
    /// clock) keeps it exactly as long however far the two clocks are apart.
    public func all() async throws -> [String: MerchantRuntimeState] {
        let rows = try await pool.query("""
            SELECT name, enabled, reason, extract(epoch FROM cooldown_until - now())::float8, cooldown_code FROM merchant_state
            """).rows
        let here = Date()
        var out: [String: MerchantRuntimeState] = [:]
        for row in rows {
            let (name, enabled, reason, left, code) = try row.decode((String, Bool, String?, Double?, String?).self)
            out[name] = MerchantRuntimeState(enabled: enabled, reason: reason, cooldownUntil: left.map { here.addingTimeInterval($0) }, cooldownCode: code)
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

    /// Routes around an entity until `until` (operators and tests; the engine uses the
    /// database's clock, below).
    public func coolDown(_ name: String, until: Date, code: String, actor: String) async throws {
        try await pool.transaction { connection in
            let row = try connection.query("SELECT extract(epoch FROM $1::timestamptz - now())::float8", [until]).first!
            try Self.coolDown(connection, name, seconds: try row.decode(column: 0, as: Double.self), code: code, actor: actor)
        }
    }

    /// Routes around an entity for `seconds` from the database's now (so every instance
    /// compares the same clock), on the caller's transaction, with an audit record on the
    /// entity's own chain: cool-downs come from settlements of every instance, and one
    /// shared chain would queue them all on one row.
    public static func coolDown(_ connection: PostgresConnection, _ name: String, seconds: Double, code: String, actor: String) throws {
        let until = try connection.query("""
            INSERT INTO merchant_state (name, cooldown_until, cooldown_code, updated_at) VALUES ($1, now() + make_interval(secs => $2::float8), $3, now())
            ON CONFLICT (name) DO UPDATE SET cooldown_until = greatest(merchant_state.cooldown_until, EXCLUDED.cooldown_until),
                                             cooldown_code = EXCLUDED.cooldown_code, updated_at = now()
            RETURNING cooldown_until
            """, [name, seconds, code]).first!.decode(column: 0, as: Date.self)
        try AuditLog.append(connection, chain: AuditLog.merchantChain(name), actor: actor, action: "merchant.cooldown", merchant: name,
                            detail: try PostgresJSON(encoding: ["code": code, "until": until.formatted(.iso8601)]))
    }
}
