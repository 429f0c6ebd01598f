import Foundation
import Logging
import Synchronization

/// The current `MerchantSnapshot`, swapped atomically. Readers take the snapshot once
/// per request and keep it, so a reload never changes an in-flight request's view.
public final class MerchantRegistry: Sendable {
    /// NOTIFY channel on which `hongbao merchant reload` asks every gateway to reload.
    public static let reloadChannel = "hongbao_merchant_reload"

    private let current: Mutex<MerchantSnapshot>
    private let loader: MerchantLoader
    private let logger: Logger

    /// Loads once; a failure here is fatal to the caller (nothing to serve with).
    public init(loader: MerchantLoader, logger: Logger = Logger(label: "hongbao.merchants")) throws(MerchantLoadFailure) {
        self.loader = loader
        self.logger = logger
        self.current = Mutex(MerchantSnapshot(try loader.load()))
    }

    public var snapshot: MerchantSnapshot { current.withLock { $0 } }

    /// Loads the directory again and swaps it in; on failure the old snapshot stays and
    /// the failure is returned (and logged).
    @discardableResult
    public func reload() -> Result<MerchantSnapshot, MerchantLoadFailure> {
        do {
            let merchants = try loader.load()
            let snapshot = current.withLock { old in
                old = MerchantSnapshot(merchants, generation: old.generation + 1)
                return old
            }
            logger.info("merchants reloaded", metadata: ["count": "\(merchants.count)", "generation": "\(snapshot.generation)"])
            return .success(snapshot)
        } catch {
            logger.error("merchant reload failed; keeping the previous snapshot", metadata: ["errors": "\(error.errors.map(\.description))"])
            return .failure(error)
        }
    }
}
