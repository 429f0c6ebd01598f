import Foundation
import Postgres

/// What `/metrics` reads from PostgreSQL (the API's metrics listener turns it into gauges;
/// it holds no SQL of its own): the open payouts by status with their ages, today's
/// payouts by merchant and status, the entities cooling down, and the webhook backlog as
/// `status` reads it. Ages are measured on the database's clock, the one `created_at`,
/// `next_check_at` and `cooldown_until` are written with.
public struct MetricsReadModel: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Open payouts of one status (and final ones the reconciler has yet to clear).
    public struct OpenPayouts: Sendable, Equatable {
        public let status: String
        public let count: Int64
        /// Whose next reconciler look is due now and not under a lease (the reconciler's `due`).
        public let due: Int64
        /// How long ago the oldest of them was created.
        public let oldestSeconds: Double
        /// How long the longest-waiting due one has been due; nil when none is due.
        public let oldestDueSeconds: Double?
    }

    /// The open backlog in one statement, through the partial indexes `payouts_due` and
    /// `payouts_needs_attention` (the same rows the count alone would read): by status,
    /// with the oldest payout's age and the longest a due payout has waited for its look.
    /// A needs_attention payout that is still followed (paid on more than one billno) is
    /// counted once. `due` is `Reconciler.backlog`'s: next look passed, lease free.
    public static let backlogQuery = """
        SELECT status, count(*),
               count(*) FILTER (WHERE next_check_at <= now() AND (lease_until IS NULL OR lease_until <= now())),
               greatest(extract(epoch FROM now() - min(created_at)), 0)::float8,
               greatest(extract(epoch FROM now() - min(next_check_at) FILTER (WHERE next_check_at <= now() AND (lease_until IS NULL OR lease_until <= now()))), 0)::float8
        FROM payouts WHERE next_check_at IS NOT NULL OR status = 'needs_attention' GROUP BY status
        """

    public func backlog() async throws -> [OpenPayouts] {
        try await pool.query(Self.backlogQuery).rows.map { row in
            let (status, count, due, oldest, oldestDue) = try row.decode((String, Int64, Int64, Double, Double?).self)
            return OpenPayouts(status: status, count: count, due: due, oldestSeconds: oldest, oldestDueSeconds: oldestDue)
        }
    }

    /// An entity routed around until its cool-down ends, and the answer that started it.
    public struct CoolingDown: Sendable, Equatable {
        public let merchant: String
        public let code: String
    }

    /// Entities whose cool-down has not ended on the database's clock (a signer's cool-down
    /// is written for every entity that signs as the same merchant number, so each is here).
    /// merchant_state has a row per entity ever cooled down or disabled: a few.
    public static let coolingDownQuery = """
        SELECT name, coalesce(cooldown_code, '') FROM merchant_state WHERE cooldown_until > now() ORDER BY name
        """

    public func coolingDown() async throws -> [CoolingDown] {
        try await pool.query(Self.coolingDownQuery).rows.map { row in
            let (merchant, code) = try row.decode((String, String).self)
            return CoolingDown(merchant: merchant, code: code)
        }
    }

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
