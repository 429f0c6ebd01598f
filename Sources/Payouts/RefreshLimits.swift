import Foundation
import Postgres
import Tenants

/// How often a tenant may make the gateway ask WeChat about its payouts (`POST
/// /v1/redpacks/{id}/refresh`): every refresh is a gethbinfo under a merchant identity
/// other tenants share, and an attempt row. Within `minimumInterval` of a payout's last
/// query the refresh answers from that look; past `perMinute` refreshes of one tenant and
/// mode in a minute (counted in PostgreSQL, so every instance agrees) it is refused with
/// the seconds left in the minute.
public struct RefreshLimits: Sendable, Equatable {
    public var minimumInterval: TimeInterval
    public var perMinute: Int

    public init(minimumInterval: TimeInterval = 10, perMinute: Int = 120) {
        self.minimumInterval = minimumInterval
        self.perMinute = perMinute
    }

    static let refusal = "refresh_rate_limited"

    /// Counts one refresh of `caller` in the current minute of the database's clock;
    /// throws `RefreshThrottled` when the minute is full.
    func count(_ pool: PostgresPool, caller: Caller) async throws {
        do {
            _ = try await pool.pipeline([
                PipelineStatement("DELETE FROM refresh_windows WHERE tenant_id = $1 AND mode = $2 AND minute < date_trunc('minute', now())",
                                  [caller.tenantID, caller.mode.rawValue]),
                PayoutLedger.required("""
                    INSERT INTO refresh_windows (tenant_id, mode, minute, count) VALUES ($1, $2, date_trunc('minute', now()), 1)
                    ON CONFLICT (tenant_id, mode, minute) DO UPDATE SET count = refresh_windows.count + 1 WHERE refresh_windows.count < $3
                    RETURNING 1
                    """, Self.refusal, [caller.tenantID, caller.mode.rawValue, perMinute]),
            ])
        } catch where PayoutLedger.Refusals.match(error, Self.refusal) {
            let left = try await pool.query("SELECT ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()))::int8")
                .first!.decode(column: 0, as: Int64.self)
            throw RefreshThrottled(retryAfterSeconds: max(1, Int(left)))
        }
    }
}

/// A tenant asked for more refreshes this minute than `RefreshLimits.perMinute`.
public struct RefreshThrottled: Error, Sendable, Equatable {
    public let retryAfterSeconds: Int
}
