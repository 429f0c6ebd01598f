import Foundation
import Hummingbird
import Logging
import Merchants
import Postgres

/// `/healthz`: the process is up. `/readyz`: the database answers and every migration
/// is applied, so this instance may take traffic; it also says whether the last merchant
/// reload failed (the previous snapshot keeps serving, so that alone is not "unready"),
/// and whether webhooks are on (off without HONGBAO_KEK: events wait, so not "unready").
/// Answers name the check that failed, never the error itself (host names, users and
/// libpq texts stay in the log).
public struct HealthController: Sendable {
    let pool: PostgresPool
    let migrator: Migrator
    let registry: MerchantRegistry
    /// What the `webhooks` check says; it never changes while the process runs.
    let webhooks: String
    let logger: Logger

    public init(pool: PostgresPool, migrator: Migrator, registry: MerchantRegistry, webhooks: String, logger: Logger) {
        self.pool = pool
        self.migrator = migrator
        self.registry = registry
        self.webhooks = webhooks
        self.logger = logger
    }

    struct Status: ResponseEncodable, Equatable {
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
            logger.error("readiness: database check failed", metadata: ["error": "\(error)"])
            checks["database"] = "unreachable (see the gateway log)"
            ready = false
        }
        let snapshot = registry.snapshot
        if let failure = registry.lastFailure {
            logger.error("readiness: last merchant reload failed", metadata: ["errors": "\(failure.errors.map(\.description))"])
            checks["merchants"] = "last reload failed at \(failure.at.formatted(.iso8601)) (see the gateway log); serving generation \(snapshot.generation) with \(snapshot.merchants.count) entities"
        } else {
            checks["merchants"] = "ok (generation \(snapshot.generation), \(snapshot.merchants.count) entities)"
        }
        checks["webhooks"] = webhooks
        return EditedResponse(status: ready ? .ok : .serviceUnavailable, response: Status(status: ready ? "ok" : "unavailable", checks: checks))
    }
}
