import Foundation
import Postgres

/// What `/metrics` reads from PostgreSQL (the API's metrics listener turns it into gauges;
/// it holds no SQL of its own): today's payouts by merchant and status, and the webhook
/// backlog as `status` reads it. The payout backlog comes from `Reconciler.backlog`.
public struct MetricsReadModel: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// One merchant's payouts of one status today.
    public struct TodayCount: Sendable, Equatable {
        public let merchant: String
        public let status: String
        public let count: Int64
    }

    /// Today's payouts by merchant and status ($1: the start of today), through index `payouts_created`.
    public static let todayQuery = "SELECT merchant, status, count(*) FROM payouts WHERE created_at >= $1 GROUP BY merchant, status"

    public func today(since start: Date) async throws -> [TodayCount] {
        try await pool.query(Self.todayQuery, [start]).rows.map { row in
            let (merchant, status, count) = try row.decode((String, String, Int64).self)
            return TodayCount(merchant: merchant, status: status, count: count)
        }
    }

    public func webhooks(now: Date = Date()) async throws -> WebhookBacklog {
        try await pool.withConnection { try WebhookBacklog.read($0, now: now) }
    }
}
