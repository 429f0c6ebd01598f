import Hummingbird
import Postgres

/// `/healthz`: the process is up. `/readyz`: the database answers and every migration
/// is applied, so this instance may take traffic.
public struct HealthController: Sendable {
    let pool: PostgresPool
    let migrator: Migrator

    public init(pool: PostgresPool, migrator: Migrator) {
        self.pool = pool
        self.migrator = migrator
    }

    struct Status: ResponseEncodable {
        let status: String
        let checks: [String: String]
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/healthz") { _, _ in Status(status: "ok", checks: [:]) }
        router.get("/readyz") { _, _ in try await readiness() }
    }

    func readiness() async throws -> EditedResponse<Status> {
        var checks: [String: String] = [:]
        var ready = true
        do {
            let entries = try await migrator.status(pool)
            let pending = entries.filter { $0.state != .applied }
            checks["database"] = "ok"
            checks["migrations"] = pending.isEmpty ? "ok" : "not current: " + pending.map { "\($0.name) \($0.state.rawValue)" }.joined(separator: ", ")
            ready = pending.isEmpty
        } catch {
            checks["database"] = "unreachable: \(error)"
            ready = false
        }
        return EditedResponse(status: ready ? .ok : .serviceUnavailable, response: Status(status: ready ? "ok" : "unavailable", checks: checks))
    }
}
