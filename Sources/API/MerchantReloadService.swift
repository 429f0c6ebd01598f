import Logging
import Merchants
import Postgres
import ServiceLifecycle
import UnixSignals

/// Reloads the merchant registry on SIGHUP and on NOTIFY from `hongbao merchant reload`
/// (so every gateway instance follows). A failed reload keeps the old snapshot.
public struct MerchantReloadService: Service {
    let registry: MerchantRegistry
    let database: PostgresConfiguration
    let logger: Logger

    public init(registry: MerchantRegistry, database: PostgresConfiguration, logger: Logger) {
        self.registry = registry
        self.database = database
        self.logger = logger
    }

    public func run() async throws {
        let listener = PostgresListener(configuration: database, channels: [MerchantRegistry.reloadChannel], logger: logger)
        defer { listener.stop() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { registry.reload() }
            }
            group.addTask {
                for await _ in listener.notifications { registry.reload() }
            }
            try? await gracefulShutdown() // throws only on cancellation, which also means stop
            group.cancelAll()
            listener.stop()
        }
    }
}
