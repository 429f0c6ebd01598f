import Foundation
import Transport

/// How the reconciler works; every value has a flag in `serve` and `reconcile`.
public struct ReconcilerSettings: Sendable {
    /// Payouts claimed per pass.
    public var batchSize: Int
    /// Payouts worked at once within a pass.
    public var concurrency: Int
    /// How long a claim (and each renewal before an upstream call) keeps other instances off
    /// a payout: longer than one call and the writes around it (`problems`).
    public var lease: TimeInterval
    /// Pause when nothing was due.
    public var idlePause: Duration
    /// How soon a resend refused a per-minute slot is tried again.
    public var rateLimitedPause: TimeInterval
    /// What the reconciler shares with the engine (graces, entities, call and pool limits).
    public var policy: PayoutPolicy

    public init(batchSize: Int = 32, concurrency: Int = 8, lease: TimeInterval = 300, idlePause: Duration = .seconds(1),
                rateLimitedPause: TimeInterval = 5, policy: PayoutPolicy = PayoutPolicy()) {
        self.batchSize = batchSize
        self.concurrency = concurrency
        self.lease = lease
        self.idlePause = idlePause
        self.rateLimitedPause = rateLimitedPause
        self.policy = policy
    }

    /// Why these settings would let a look outlast its lease, if they would: each renewal
    /// must cover a query and a resend (two calls) and a wait for a database connection.
    public func problems() -> [String] {
        let needed = 2 * policy.upstreamTimeout.seconds + policy.poolWait.seconds
        guard lease > needed else {
            return ["the reconcile lease (\(Int(lease)) s) must be longer than two upstream calls and a wait for a database connection "
                    + "(\(Int(needed)) s): a look that outlasts its lease could send while another instance looks at the same payout"]
        }
        return []
    }
}
