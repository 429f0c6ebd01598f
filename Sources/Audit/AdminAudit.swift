import Foundation
import Postgres

/// An admin/credential action (merchant, tenant, key) on the admin chain.
public enum AdminAudit {
    public static func record(_ connection: PostgresConnection, actor: String, action: String, merchant: String? = nil,
                              tenant: UUID? = nil, detail: [String: String] = [:]) throws {
        try AuditLog.append(connection, chain: AuditLog.adminChain, actor: actor, action: action, tenant: tenant, merchant: merchant,
                            detail: try PostgresJSON(encoding: detail))
    }
}
