import Transport

/// What the engine and the reconciler must agree on, in one value the composition root
/// hands to both: when a send in progress stops belonging to the instance that accepted it
/// (the schedule's sending grace) and when the reconciler looks next, how many entities one
/// payout may be tried on, and how long one upstream call and one wait for a database
/// connection may take (the transport's and the pool's own limits, so the leases and graces
/// checked in `problems` are checked against what really bounds a call).
public struct PayoutPolicy: Sendable, Equatable {
    public var schedule: ReconcileSchedule
    /// Most entities one payout is tried on (each after a definite failure of the last).
    public var maximumEntities: Int
    /// The longest one upstream call can take (the transport's total timeout).
    public var upstreamTimeout: Duration
    /// The longest wait for a database connection (the pool's acquire timeout).
    public var poolWait: Duration

    public init(schedule: ReconcileSchedule = ReconcileSchedule(), maximumEntities: Int = 5, upstreamTimeout: Duration = .seconds(10),
                poolWait: Duration = .seconds(5)) {
        self.schedule = schedule
        self.maximumEntities = maximumEntities
        self.upstreamTimeout = upstreamTimeout
        self.poolWait = poolWait
    }

    /// Why the sending grace would not cover what an engine may do between transaction 1
    /// and transaction 2 — the send, a confirming query after SEND_FAILED, a wait for a
    /// database connection — if it would not. Past the grace the reconciler may take the
    /// payout over; an engine still inside a call then would work it beside the reconciler.
    public func problems() -> [String] {
        let needed = 2 * upstreamTimeout.seconds + poolWait.seconds
        guard schedule.sendingGrace > needed else {
            return ["the sending grace (\(Int(schedule.sendingGrace)) s) must be longer than a send, a confirming query and a wait for a database "
                    + "connection (2 × \(Int(upstreamTimeout.seconds)) s + \(Int(poolWait.seconds)) s = \(Int(needed)) s), or the reconciler could "
                    + "take over a payout while its first send is still in flight"]
        }
        return []
    }
}
