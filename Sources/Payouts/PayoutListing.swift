import Foundation
import Merchants
import Postgres

/// Filters of `GET /v1/redpacks` (red packets only; transfers are read one by one).
public struct PayoutFilter: Sendable, Equatable {
    public var status: PayoutStatus?
    public var openID: String?
    public var merchant: String?
    public var createdFrom: Date?
    public var createdBefore: Date?
    public var limit: Int
    /// Opaque: where the previous page ended.
    public var cursor: String?

    public init(status: PayoutStatus? = nil, openID: String? = nil, merchant: String? = nil, createdFrom: Date? = nil,
                createdBefore: Date? = nil, limit: Int = 20, cursor: String? = nil) {
        self.status = status
        self.openID = openID
        self.merchant = merchant
        self.createdFrom = createdFrom
        self.createdBefore = createdBefore
        self.limit = limit
        self.cursor = cursor
    }
}

public struct PayoutPage: Sendable {
    public let payouts: [Payout]
    /// Where the next page starts; nil on the last page.
    public let nextCursor: String?
}

/// Newest first, keyset-paginated on (created_at, id), so pages stay stable while new
/// payouts arrive and cost the same however deep. One tenant's payouts of one mode (the
/// caller's key's): the other mode's are never listed.
enum PayoutListing {
    static func page(_ pool: PostgresPool, tenant: UUID, mode: MerchantMode, filter: PayoutFilter) async throws -> PayoutPage {
        let limit = min(max(filter.limit, 1), 100)
        var after: (Date, UUID)? = nil
        if let cursor = filter.cursor {
            guard let decoded = decode(cursor) else { throw PayoutError("invalid_cursor", "cursor is not one this API returned") }
            after = decoded
        }
        let rows = try await pool.query("""
            SELECT \(Payout.columns) FROM payouts
            WHERE tenant_id = $1 AND mode = $2 AND kind <> 'transfer'
              AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR openid = $4) AND ($5::text IS NULL OR merchant = $5)
              AND ($6::timestamptz IS NULL OR created_at >= $6) AND ($7::timestamptz IS NULL OR created_at < $7)
              AND ($8::timestamptz IS NULL OR (created_at, id) < ($8, $9))
            ORDER BY created_at DESC, id DESC
            LIMIT $10
            """, [tenant, mode.rawValue, filter.status?.rawValue, filter.openID, filter.merchant, filter.createdFrom, filter.createdBefore,
                  after?.0, after?.1, limit + 1]).rows
        let payouts = try rows.prefix(limit).map { try Payout(row: $0) }
        let next = rows.count > limit ? payouts.last.map { encode($0.createdAt, $0.id) } : nil
        return PayoutPage(payouts: payouts, nextCursor: next)
    }

    static func encode(_ at: Date, _ id: UUID) -> String {
        let micros = Int64((at.timeIntervalSince1970 * 1_000_000).rounded())
        return Data("\(micros).\(id.uuidString)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> (Date, UUID)? {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let plain = String(data: data, encoding: .utf8) else { return nil }
        let parts = plain.split(separator: ".")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), id)
    }
}
