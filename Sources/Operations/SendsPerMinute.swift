import Foundation
import Postgres

/// Payouts created per minute and entity over the last hour, read from PostgreSQL: what
/// every instance sent, not only the one asked. Minutes are the database's (the clock
/// `created_at` is written with), counted in whole minutes since 1970 UTC.
public struct SendsPerMinute: Sendable {
    /// How many minutes the window holds: the current, unfinished one and the 59 before it.
    public static let minutes = 60

    /// The current minute (minutes since 1970 UTC, by the database's clock): the window's last.
    public let currentMinute: Int64
    /// Payouts by entity name, then by minute; minutes without any are absent.
    public let counts: [String: [Int64: Int64]]

    public init(currentMinute: Int64, counts: [String: [Int64: Int64]]) {
        self.currentMinute = currentMinute
        self.counts = counts
    }

    /// The window's minutes, oldest first.
    public var window: ClosedRange<Int64> { (currentMinute - Int64(Self.minutes) + 1)...currentMinute }

    /// `merchant`'s count in each minute of the window, oldest first (0 for none).
    public func series(_ merchant: String) -> [Int64] {
        let byMinute = counts[merchant] ?? [:]
        return window.map { byMinute[$0] ?? 0 }
    }

    /// An index-only range scan of the last hour's entries of `payouts_created`
    /// (created_at INCLUDE merchant), however many payouts are older; grouped by
    /// `date_trunc` first, so the epoch arithmetic is done per group, not per row. The one-row
    /// side of the join gives the current minute even when the hour had no payout.
    public static let query = """
        SELECT floor(extract(epoch FROM w.m) / 60)::bigint, g.merchant, floor(extract(epoch FROM g.minute) / 60)::bigint, g.n
        FROM (SELECT date_trunc('minute', now()) AS m) w
        LEFT JOIN LATERAL (
            SELECT merchant, date_trunc('minute', created_at) AS minute, count(*) AS n
            FROM payouts WHERE created_at >= w.m - interval '59 minutes' GROUP BY 1, 2
        ) g ON true
        """

    public static func read(_ pool: PostgresPool) async throws -> SendsPerMinute {
        var current: Int64? = nil
        var counts: [String: [Int64: Int64]] = [:]
        for row in try await pool.query(query).rows {
            // An hour without payouts is one row with only the current minute.
            let (now, merchant, minute, count) = try row.decode((Int64, String?, Int64?, Int64?).self)
            current = now
            if let merchant, let minute, let count { counts[merchant, default: [:]][minute] = count }
        }
        guard let current else { throw PostgresError(.decode, "the sends-per-minute query returned no row") }
        return SendsPerMinute(currentMinute: current, counts: counts)
    }
}
