import Foundation
import Payouts
import Postgres

/// Payouts across tenants for operators (`hongbao payouts list|show`, later the
/// dashboard): filters, newest first, and one payout's whole history — every billno it
/// used and every upstream call. Tenants read their own through `PayoutListing`.
public enum PayoutSearch {
    public struct Filter: Sendable {
        public var tenantID: UUID?
        public var status: PayoutStatus?
        public var merchant: String?
        public var openID: String?
        public var billno: String?
        public var createdBefore: Date?
        public var limit: Int

        public init(tenantID: UUID? = nil, status: PayoutStatus? = nil, merchant: String? = nil, openID: String? = nil, billno: String? = nil,
                    createdBefore: Date? = nil, limit: Int = 50) {
            self.tenantID = tenantID
            self.status = status
            self.merchant = merchant
            self.openID = openID
            self.billno = billno
            self.createdBefore = createdBefore
            self.limit = limit
        }
    }

    public struct Found: Sendable {
        public let payout: Payout
        public let tenantName: String

        public init(payout: Payout, tenantName: String) {
            self.payout = payout
            self.tenantName = tenantName
        }
    }

    public static func find(_ pool: PostgresPool, _ filter: Filter) async throws -> [Found] {
        var conditions: [String] = []
        var parameters: [any PostgresEncodable] = []
        func add(_ condition: String, _ value: any PostgresEncodable) {
            parameters.append(value)
            conditions.append(condition.replacingOccurrences(of: "?", with: "$\(parameters.count)"))
        }
        if let tenant = filter.tenantID { add("p.tenant_id = ?", tenant) }
        if let status = filter.status { add("p.status = ?", status.rawValue) }
        if let merchant = filter.merchant { add("p.merchant = ?", merchant) }
        if let openID = filter.openID { add("p.openid = ?", openID) }
        // Any billno the payout ever used, not only its current one.
        if let billno = filter.billno { add("p.id IN (SELECT payout_id FROM payout_sends WHERE billno = ?)", billno) }
        if let before = filter.createdBefore { add("p.created_at < ?", before) }
        parameters.append(Int64(filter.limit))
        let rows = try await pool.query("""
            SELECT \(Payout.columns(of: "p")), t.name FROM payouts p JOIN tenants t ON t.id = p.tenant_id
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY p.created_at DESC, p.id DESC LIMIT $\(parameters.count)
            """, parameters)
        return try rows.rows.map { Found(payout: try Payout(row: $0), tenantName: try $0.decode(column: Payout.columnCount)) }
    }

    /// One payout by id, or by any billno it used.
    public static func one(_ pool: PostgresPool, _ idOrBillno: String) async throws -> Found? {
        if let id = UUID(uuidString: idOrBillno) {
            return try await pool.query("SELECT \(Payout.columns(of: "p")), t.name FROM payouts p JOIN tenants t ON t.id = p.tenant_id WHERE p.id = $1", [id]).first
                .map { Found(payout: try Payout(row: $0), tenantName: try $0.decode(column: Payout.columnCount)) }
        }
        return try await find(pool, Filter(billno: idOrBillno, limit: 1)).first
    }

    /// A billno the payout used, and what became of it.
    public struct Send: Sendable, Encodable {
        public let mchID: String
        public let billno: String
        public let merchant: String
        public let state: String
        public let createdAt: Date
        /// The wire identity the billno was made with (migration 0018).
        public let sentAs: String

        enum CodingKeys: String, CodingKey { case billno, merchant, state, mchID = "mch_id", createdAt = "created_at", sentAs = "sent_as" }
    }

    /// One upstream call.
    public struct Attempt: Sendable, Encodable {
        public let api: String
        public let billno: String
        public let startedAt: Date
        public let milliseconds: Int64
        public let outcome: String
        public let errCode: String?
        public let errMessage: String?

        enum CodingKeys: String, CodingKey {
            case api, billno, outcome, milliseconds
            case startedAt = "started_at", errCode = "err_code", errMessage = "err_message"
        }
    }

    public static func history(_ pool: PostgresPool, _ id: UUID) async throws -> (sends: [Send], attempts: [Attempt]) {
        let sends = try await pool.query("SELECT mch_id, billno, merchant, state, created_at, sent_as FROM payout_sends WHERE payout_id = $1 ORDER BY created_at", [id])
            .rows.map { row in
                let (mchID, billno, merchant, state, created, sentAs) = try row.decode((String, String, String, String, Date, String).self)
                return Send(mchID: mchID, billno: billno, merchant: merchant, state: state, createdAt: created, sentAs: sentAs)
            }
        let attempts = try await pool.query("""
            SELECT api, billno, started_at, (extract(epoch FROM finished_at - started_at) * 1000)::int8, outcome, err_code, err_message
            FROM payout_attempts WHERE payout_id = $1 ORDER BY id
            """, [id]).rows.map { row in
                let (api, billno, started, ms, outcome, code, message) = try row.decode((String, String, Date, Int64, String, String?, String?).self)
                return Attempt(api: api, billno: billno, startedAt: started, milliseconds: ms, outcome: outcome, errCode: code, errMessage: message)
            }
        return (sends, attempts)
    }
}
