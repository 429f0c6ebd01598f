@testable import API
import HTTPTypes
import Postgres
import Testing

/// A database that is busy or away is the client's cue to retry (503 with Retry-After);
/// the idempotency key makes that retry safe. Anything else it says stays a 500.
@Suite("Database errors as problems")
struct DatabaseProblemTests {
    @Test("a busy pool is 503 unavailable with Retry-After 1; no connection is 503 with Retry-After 5")
    func busyOrAway() {
        let busy = Problem(mapping: PostgresError(.poolTimeout, "no database connection became free within 5.0 seconds"))
        #expect(busy.status == .serviceUnavailable && busy.code == .unavailable && busy.retryAfterSeconds == 1)
        let away = Problem(mapping: PostgresError(.connection, "connection refused"))
        #expect(away.status == .serviceUnavailable && away.code == .unavailable && away.retryAfterSeconds == 5)
        #expect(!busy.detail.contains("5.0 seconds") && !away.detail.contains("refused"), "the server's words stay in the log")
    }

    @Test("a statement the server refused is a 500 that says nothing of the database")
    func refused() {
        let problem = Problem(mapping: PostgresError(.server, "relation \"payouts\" does not exist", sqlState: "42P01"))
        #expect(problem.status == .internalServerError && problem.code == .internalError && !problem.detail.contains("payouts"))
    }
}
