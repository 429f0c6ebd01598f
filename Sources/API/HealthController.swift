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
            // Ready when every migration this binary knows is applied as it knows it. One the
            // database has and this binary does not (`missing-file`) is a newer release's:
            // during a rolling upgrade (migrate first, then instances one by one) the older
            // instances must stay in the load balancer, and each migration is written so the
            // previous version fails safely against it.
            let notCurrent = entries.filter { $0.state == .pending || $0.state == .changed }
            let newer = entries.filter { $0.state == .missingFile }
            checks["database"] = "ok"
            if !notCurrent.isEmpty {
                checks["migrations"] = "not current: " + notCurrent.map { "\($0.name) \($0.state.rawValue)" }.joined(separator: ", ")
            } else if !newer.isEmpty {
                checks["migrations"] = "ok; the database also has newer migrations than this release: " + newer.map(\.name).joined(separator: ", ")
            } else {
                checks["migrations"] = "ok"
            }
            ready = notCurrent.isEmpty
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
