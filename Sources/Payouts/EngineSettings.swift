/// How the engine behaves; every value has a flag in `serve`.
public struct EngineSettings: Sendable {
    /// How long a POST waits for the send's outcome before answering 202.
    public var deadline: Duration
    /// What the engine shares with the reconciler (graces, entities, call and pool limits).
    public var policy: PayoutPolicy
    /// How often tenants may make the gateway ask WeChat (`refresh`).
    public var refresh: RefreshLimits

    public init(deadline: Duration = .seconds(5), policy: PayoutPolicy = PayoutPolicy(), refresh: RefreshLimits = RefreshLimits()) {
        self.deadline = deadline
        self.policy = policy
        self.refresh = refresh
    }
}
