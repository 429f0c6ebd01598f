import Foundation
import Merchants
import Synchronization

/// Enabled/disabled and cool-downs as every instance shares them in PostgreSQL, read at
/// most once per `maxAge` (routing runs per request; these change rarely). A cool-down
/// set by another instance is therefore seen within `maxAge`; one set here at once.
/// Cool-downs of this instance alone (`coolDownHere`: it could not reach an entity — its
/// DNS, its egress) are merged in and never written to the database.
public final class MerchantStateCache: Sendable {
    private let store: MerchantStateStore
    private let maxAge: Duration
    private let cached = Mutex<(states: [String: MerchantRuntimeState], at: ContinuousClock.Instant)?>(nil)
    private let local = Mutex<[String: (until: Date, code: String)]>([:])

    public init(store: MerchantStateStore, maxAge: Duration = .seconds(1)) {
        self.store = store
        self.maxAge = maxAge
    }

    public func current() async throws -> [String: MerchantRuntimeState] {
        let now = ContinuousClock.now
        var states: [String: MerchantRuntimeState]
        if let cached = cached.withLock({ $0 }), now - cached.at < maxAge {
            states = cached.states
        } else {
            states = try await store.all()
            cached.withLock { [states] in $0 = (states, now) }
        }
        let wall = Date()
        for (name, cooling) in local.withLock({ entries in entries.filter { $0.value.until > wall } }) {
            var state = states[name] ?? .default
            if state.cooldownUntil.map({ $0 < cooling.until }) ?? true {
                state.cooldownUntil = cooling.until
                state.cooldownCode = cooling.code
            }
            states[name] = state
        }
        return states
    }

    /// Routes around `name` in this instance only, for `duration`.
    public func coolDownHere(_ name: String, for duration: Duration, code: String) {
        let until = Date().addingTimeInterval(Double(duration.components.seconds))
        local.withLock { $0[name] = (until, code) }
    }

    /// The next read goes to the database (after this instance changed a state).
    public func invalidate() { cached.withLock { $0 = nil } }
}
