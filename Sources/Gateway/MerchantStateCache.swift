import Foundation
import Merchants
import Synchronization

/// Enabled/disabled and cool-downs as every instance shares them in PostgreSQL, read at
/// most once per `maxAge` (routing runs per request; these change rarely). A cool-down
/// set by another instance is therefore seen within `maxAge`; one set here at once.
public final class MerchantStateCache: Sendable {
    private let store: MerchantStateStore
    private let maxAge: Duration
    private let cached = Mutex<(states: [String: MerchantRuntimeState], at: ContinuousClock.Instant)?>(nil)

    public init(store: MerchantStateStore, maxAge: Duration = .seconds(1)) {
        self.store = store
        self.maxAge = maxAge
    }

    public func current() async throws -> [String: MerchantRuntimeState] {
        let now = ContinuousClock.now
        if let cached = cached.withLock({ $0 }), now - cached.at < maxAge { return cached.states }
        let states = try await store.all()
        cached.withLock { $0 = (states, now) }
        return states
    }

    /// The next read goes to the database (after this instance changed a state).
    public func invalidate() { cached.withLock { $0 = nil } }
}
