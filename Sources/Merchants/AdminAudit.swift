import Foundation
import Postgres

/// Appends an admin/credential action to `audit_events` on the caller's connection, so it
/// commits or rolls back with the change it describes. (The payout-engine stage chains
/// these records by hash; callers keep calling this one function.)
public enum AdminAudit {
    public static func record(_ connection: PostgresConnection, actor: String, action: String, merchant: String? = nil,
                              tenant: String? = nil, detail: [String: String] = [:]) throws {
        try connection.query(
            "INSERT INTO audit_events (actor, action, merchant, tenant_id, detail) VALUES ($1, $2, $3, $4, $5)",
            [actor, action, merchant, tenant, try PostgresJSON(encoding: detail)])
    }
}
