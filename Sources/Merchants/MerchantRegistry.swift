import Foundation
import Logging
import Synchronization

/// The current `MerchantSnapshot`, swapped atomically. Readers take the snapshot once
/// per request and keep it, so a reload never changes an in-flight request's view.
/// A failed reload keeps the old snapshot and is remembered (for /readyz) until the
/// next successful one.
public final class MerchantRegistry: Sendable {
    /// The last reload that failed, while no later one succeeded.
    public struct ReloadFailure: Sendable {
        public let at: Date
        public let errors: [MerchantLoadError]
    }

    private struct State {
        var snapshot: MerchantSnapshot
        var failure: ReloadFailure?
        var failedReloads = 0
    }

    private let state: Mutex<State>
    private let loader: MerchantLoader
    private let logger: Logger

    /// Loads once; a failure here is fatal to the caller (nothing to serve with).
    /// Reads files and parses certificates: call it off the cooperative pool.
    public init(loader: MerchantLoader, logger: Logger = Logger(label: "hongbao.merchants")) throws(MerchantLoadFailure) {
        self.loader = loader
        self.logger = logger
        self.state = Mutex(State(snapshot: MerchantSnapshot(try loader.load()), failure: nil))
    }

    public var snapshot: MerchantSnapshot { state.withLock { $0.snapshot } }
    public var lastFailure: ReloadFailure? { state.withLock { $0.failure } }
    /// Reloads that failed since this process started (metrics).
    public var failedReloads: Int { state.withLock { $0.failedReloads } }

    /// Loads the directory again and swaps it in; on failure the old snapshot stays and
    /// the failure is returned, logged at error level and kept for /readyz. Blocking
    /// (files, TOML, X.509): run it on a thread of its own, never the cooperative pool.
    @discardableResult
    public func reload(trigger: String = "request") -> Result<MerchantSnapshot, MerchantLoadFailure> {
        do {
            let merchants = try loader.load()
            let snapshot = state.withLock { state in
                state.snapshot = MerchantSnapshot(merchants, generation: state.snapshot.generation + 1)
                state.failure = nil
                return state.snapshot
            }
            logger.info("merchants reloaded", metadata: ["count": "\(merchants.count)", "generation": "\(snapshot.generation)", "trigger": "\(trigger)"])
            return .success(snapshot)
        } catch {
            state.withLock { state in
                state.failure = ReloadFailure(at: Date(), errors: error.errors)
                state.failedReloads += 1
            }
            logger.error("merchant reload failed; keeping the previous snapshot",
                         metadata: ["errors": "\(error.errors.map(\.description))", "trigger": "\(trigger)"])
            return .failure(error)
        }
    }
}
