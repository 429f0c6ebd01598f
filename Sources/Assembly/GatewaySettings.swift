import Foundation
import Payouts

/// Every setting of a gateway that more than one of its parts reads, in one value: the
/// engine and the reconciler get their `PayoutPolicy` from here, never each their own.
public struct GatewaySettings: Sendable {
    /// What the engine and the reconciler must agree on.
    public var policy: PayoutPolicy
    /// How long a POST waits for the send's outcome before answering 202.
    public var sendDeadline: Duration
    /// How often tenants may make the gateway ask WeChat (`refresh`).
    public var refresh: RefreshLimits
    /// Payouts the reconciler claims per pass.
    public var reconcileBatch: Int
    /// Payouts the reconciler works on at once.
    public var reconcileConcurrency: Int
    /// How long a reconciler's claim keeps other instances off a payout.
    public var reconcileLease: TimeInterval
    /// How stale the engine's and reconciler's view of merchant state (cool-downs, pauses) may be.
    public var stateMaxAge: Duration

    public init(policy: PayoutPolicy = PayoutPolicy(), sendDeadline: Duration = .seconds(5), refresh: RefreshLimits = RefreshLimits(),
                reconcileBatch: Int = 32, reconcileConcurrency: Int = 8, reconcileLease: TimeInterval = 300, stateMaxAge: Duration = .seconds(1)) {
        self.policy = policy
        self.sendDeadline = sendDeadline
        self.refresh = refresh
        self.reconcileBatch = reconcileBatch
        self.reconcileConcurrency = reconcileConcurrency
        self.reconcileLease = reconcileLease
        self.stateMaxAge = stateMaxAge
    }

    public var engine: EngineSettings { EngineSettings(deadline: sendDeadline, policy: policy, refresh: refresh) }

    public var reconciler: ReconcilerSettings {
        ReconcilerSettings(batchSize: reconcileBatch, concurrency: reconcileConcurrency, lease: reconcileLease, policy: policy)
    }

    /// Why these settings are unsafe together, if they are: a sending grace the engine's
    /// own work could outlast, or a reconcile lease one look could outlast.
    public func problems() -> [String] { policy.problems() + reconciler.problems() }
}
