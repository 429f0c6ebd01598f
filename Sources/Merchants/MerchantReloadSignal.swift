import Foundation
import Postgres

/// The cluster-wide "reload merchants.d" request: a generation in PostgreSQL, bumped and
/// announced with NOTIFY in one transaction. NOTIFY wakes gateways at once; the
/// generation is what they compare, so a notification lost while a listener reconnects
/// is caught by the comparison after reconnecting (or by the slow poll).
public enum MerchantReloadSignal {
    /// NOTIFY channel gateways listen on.
    public static let channel = "hongbao_merchant_reload"

    /// Bumps the generation and notifies, on the caller's transaction (commit sends it).
    @discardableResult
    public static func request(_ connection: PostgresConnection, actor: String) throws -> Int64 {
        let generation = try connection.query(
            "UPDATE merchant_reload SET generation = generation + 1, requested_at = now(), requested_by = $1 RETURNING generation",
            [actor]).first?.decode(column: 0, as: Int64.self)
        guard let generation else { throw PostgresError(.server, "merchant_reload has no row; run `hongbao migrate`") }
        try connection.query("SELECT pg_notify($1, $2)", [channel, String(generation)])
        return generation
    }

    /// The current generation.
    public static func current(_ pool: PostgresPool) async throws -> Int64 {
        let row = try await pool.query("SELECT generation FROM merchant_reload").first
        guard let row else { throw PostgresError(.server, "merchant_reload has no row; run `hongbao migrate`") }
        return try row.decode(column: 0, as: Int64.self)
    }
}
