import Foundation
import Merchants
import Postgres

/// An HTTP answer as first given to a tenant, kept with its idempotency key and replayed
/// byte for byte. The API renders it; the gateway only stores and replays it.
public struct StoredResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]
    /// The payout this answer was just rendered from, in this process (never stored): lets
    /// the API answer without decoding the body it just encoded. Not part of equality.
    public let rendered: Payout?

    public init(status: Int, body: [UInt8], rendered: Payout? = nil) {
        self.status = status
        self.body = body
        self.rendered = rendered
    }

    public static func == (a: StoredResponse, b: StoredResponse) -> Bool { a.status == b.status && a.body == b.body }
}

/// Renders a payout as the API answers for it (201 once the send is settled, else 202).
public typealias PayoutRenderer = @Sendable (Payout) throws -> StoredResponse

enum IdempotencyRecords {
    struct Record: Sendable {
        let requestHash: [UInt8]
        let payoutID: UUID
        let response: StoredResponse?
    }

    /// The key's record in the tenant's `mode`: the same key in the other mode is another request.
    static func find(_ pool: PostgresPool, tenant: UUID, mode: MerchantMode, key: String) async throws -> Record? {
        let row = try await pool.query("""
            SELECT request_hash, payout_id, response_status, response_body FROM idempotency_keys WHERE tenant_id = $1 AND mode = $2 AND key = $3
            """, [tenant, mode.rawValue, key]).first
        guard let row else { return nil }
        let (hash, payout, status, body) = try row.decode(([UInt8], UUID, Int32?, [UInt8]?).self)
        return Record(requestHash: hash, payoutID: payout, response: status.map { StoredResponse(status: Int($0), body: body ?? []) })
    }

    /// The answer for the key of `payout`: `response`, if it is the first to be stored —
    /// else the one stored before it. Never returns an answer that is not the stored one.
    static func answer(_ pool: PostgresPool, tenant: UUID, payout: UUID, _ response: StoredResponse) async throws -> StoredResponse {
        let stored = try await pool.transaction { c -> StoredResponse? in
            if try c.run(store(tenant: tenant, payout: payout, response)).affectedRows == 1 { return response }
            let row = try c.query("SELECT response_status, response_body FROM idempotency_keys WHERE tenant_id = $1 AND payout_id = $2",
                                  [tenant, payout]).first
            return try row.map { row in
                let (status, body) = try row.decode((Int32, [UInt8]).self)
                return StoredResponse(status: Int(status), body: body)
            }
        }
        guard let stored else { throw PostgresError(.server, "the idempotency key of payout \(payout) has no stored answer") }
        return stored
    }

    /// Stores the first answer given; a later one never replaces it (0 rows: one was stored).
    static func store(tenant: UUID, payout: UUID, _ response: StoredResponse) -> PipelineStatement {
        PipelineStatement("""
            UPDATE idempotency_keys SET response_status = $3, response_body = $4
            WHERE tenant_id = $1 AND payout_id = $2 AND response_status IS NULL
            """, [tenant, payout, Int32(response.status), response.body])
    }
}
