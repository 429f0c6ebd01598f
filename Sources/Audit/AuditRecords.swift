import Foundation
import Postgres

/// Reads of the audit log — the only ones outside verification (`AuditVerifier`): the
/// latest records, a payout's, and those after an id (to follow the log).
public struct AuditRecords: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static let select = """
        SELECT id, chain, seq, occurred_at, actor, action, tenant_id::text, merchant, payout_id::text, request_id, prev_hash, hash, detail::text
        FROM audit_log
        """

    /// The newest `limit` records, newest first.
    public func latest(_ limit: Int) async throws -> [AuditRecord] {
        try await read(Self.select + " ORDER BY id DESC LIMIT $1", [Int64(limit)])
    }

    /// Every record about one payout, oldest first.
    public func of(payout: UUID) async throws -> [AuditRecord] {
        try await read(Self.select + " WHERE payout_id = $1 ORDER BY id", [payout])
    }

    /// Records after `id`, oldest first (at most `limit`, when given).
    public func after(_ id: Int64, limit: Int? = nil) async throws -> [AuditRecord] {
        if let limit { return try await read(Self.select + " WHERE id > $1 ORDER BY id LIMIT $2", [id, Int64(limit)]) }
        return try await read(Self.select + " WHERE id > $1 ORDER BY id", [id])
    }

    /// The newest record's id, 0 for an empty log.
    public func lastID() async throws -> Int64 {
        try await pool.query("SELECT coalesce(max(id), 0) FROM audit_log").first!.decode(column: 0, as: Int64.self)
    }

    func read(_ sql: String, _ parameters: [any PostgresEncodable]) async throws -> [AuditRecord] {
        try await pool.query(sql, parameters).rows.map { row in
            let (id, chain, seq, at, actor, action, tenant, merchant, payout, request, prev, hash, detail) =
                try row.decode((Int64, String, Int64, Date, String, String, String?, String?, String?, String?, [UInt8], [UInt8], String).self)
            return AuditRecord(id: id, chain: chain, seq: seq, occurredAt: at, actor: actor, action: action, tenantID: tenant, merchant: merchant,
                               payoutID: payout, requestID: request, prevHash: prev, hash: hash, detail: detail)
        }
    }
}
