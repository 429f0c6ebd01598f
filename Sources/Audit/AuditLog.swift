import Foundation
import Postgres

/// Appends records to the hash-chained audit log (migration 0004's `audit_append`) on the
/// caller's connection, so a record commits or rolls back with the change it describes.
/// The chain arithmetic lives in that one SQL function; `hongbao audit verify` re-derives
/// it independently.
public enum AuditLog {
    /// The chain of operator and credential actions.
    public static let adminChain = "admin"

    /// The chain of what the gateway itself records about one entity (cool-downs).
    public static func merchantChain(_ name: String) -> String { "merchant:\(name)" }

    public static func append(_ connection: PostgresConnection, chain: String, actor: String, action: String, tenant: UUID? = nil,
                              merchant: String? = nil, payout: UUID? = nil, requestID: String? = nil,
                              detail: PostgresJSON, at: Date = Date()) throws {
        try connection.query("SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                             [chain, at, actor, action, tenant, merchant, payout, requestID, detail])
    }
}
