import Foundation
import Postgres

/// The dashboard's server-side session state in PostgreSQL, shared by every instance: the
/// current session generation (a cookie signed in an older one is void) and the sign-in
/// codes already redeemed (each works once, whichever instance it reaches).
public struct AdminSessionStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// The generation a session cookie must carry to be valid now.
    public func generation() async throws -> Int64 {
        try await pool.query("SELECT generation FROM admin_session_generation").first!.decode(column: 0, as: Int64.self)
    }

    /// Ends every session: cookies of the old generation are void everywhere at once.
    public func endAllSessions() async throws {
        try await pool.query("UPDATE admin_session_generation SET generation = generation + 1, changed_at = now()")
    }

    /// True the first time `nonce` is redeemed (until `expiresAt`), false after.
    public func redeemOnce(nonce: String, expiresAt: Date) async throws -> Bool {
        try await pool.transaction { c in
            try c.query("DELETE FROM admin_login_codes WHERE expires_at < now()")
            return try c.query("INSERT INTO admin_login_codes (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
                               [nonce, expiresAt]).first != nil
        }
    }
}
