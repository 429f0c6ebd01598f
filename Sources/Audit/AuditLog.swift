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

    /// The same append as one statement of a pipeline (a payout's transaction sends its
    /// writes in one round trip).
    public static func appendStatement(chain: String, actor: String, action: String, tenant: UUID? = nil, merchant: String? = nil,
                                       payout: UUID? = nil, requestID: String? = nil, detail: PostgresJSON, at: Date = Date()) -> PipelineStatement {
        PipelineStatement("SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                          [chain, at, actor, action, tenant, merchant, payout, requestID, detail])
    }

    /// An append whose record describes a payout row as the same pipeline just wrote it
    /// (`payout.accepted`: the billno is made by the insert, so the record reads it from
    /// the row): its money facts as the detail.
    public static func appendAboutPayoutRow(chain: String, actor: String, action: String, payout: UUID, requestID: String?,
                                            at: Date) -> PipelineStatement {
        PipelineStatement("""
            SELECT audit_append($1, $2, $3, $4, tenant_id, merchant, id, $5,
                                jsonb_build_object('status', status, 'mch_id', mch_id, 'billno', billno, 'amount_fen', amount_fen::text,
                                                   'openid', openid, 'appid', appid, 'kind', kind, 'total_num', total_num::text))
            FROM payouts WHERE id = $6
            """, [chain, at, actor, action, requestID, payout])
    }
}
