import Logging
import Merchants
import NIOPosix
import Postgres
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Keeps the merchant registry in step with merchants.d:
/// - SIGHUP reloads this instance;
/// - `hongbao merchant reload` bumps a generation in PostgreSQL and NOTIFYs; this
///   service compares that generation whenever its listener (re)connects, on every
///   notification, and on a slow poll (the backstop for a NOTIFY lost while away), and
///   reloads when it moved.
/// Loading reads files and parses TOML and certificates, so it runs on NIO's blocking
/// thread pool, never on the cooperative pool. A failed reload keeps the old snapshot
/// (the registry remembers the failure for /readyz and logs it at error level).
public struct MerchantReloadService: Service {
    let registry: MerchantRegistry
    let pool: PostgresPool
    let pollInterval: Duration
    let logger: Logger

    public init(registry: MerchantRegistry, pool: PostgresPool, pollInterval: Duration = .seconds(30), logger: Logger) {
        self.registry = registry
        self.pool = pool
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public func run() async throws {
        let listener = PostgresListener(configuration: pool.configuration, channels: [MerchantReloadSignal.channel], logger: logger)
        defer { listener.stop() }
        let applied = AppliedGeneration()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { await reload(trigger: "SIGHUP") }
            }
            group.addTask {
                for await event in listener.events {
                    await follow(applied, trigger: event == .listening ? "listener connected" : "notify")
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    await follow(applied, trigger: "poll")
                }
            }
            try? await gracefulShutdown() // throws only on cancellation, which also means stop
            group.cancelAll()
            listener.stop()
        }
    }

    /// Reloads when the cluster-wide generation differs from the one last acted on.
    func follow(_ applied: AppliedGeneration, trigger: String) async {
        let generation: Int64
        do { generation = try await MerchantReloadSignal.current(pool) } catch {
            logger.warning("cannot read the merchant reload generation", metadata: ["error": "\(error)"])
            return
        }
        if applied.advance(to: generation) { await reload(trigger: "\(trigger) (generation \(generation))") }
    }

    func reload(trigger: String) async {
        let registry = self.registry
        _ = try? await NIOThreadPool.singleton.runIfActive { registry.reload(trigger: trigger) }
    }
}

/// The reload generation last acted on; nil until the first comparison, which therefore
/// reloads once (so a reload requested between the initial load and then is not missed).
final class AppliedGeneration: Sendable {
    private let seen = Mutex<Int64?>(nil)

    /// Records `generation`; true when it differs from the one seen before.
    func advance(to generation: Int64) -> Bool {
        seen.withLock { seen in
            defer { seen = generation }
            return seen != generation
        }
    }
}
