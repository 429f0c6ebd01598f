import Foundation

/// When the reconciler looks at a payout next (`payouts.next_check_at`), by status and by
/// how many times it has looked since the status last changed (`payouts.checks`, reset by
/// every status change). Each status has its own backoff: an open send is resolved
/// quickly and then less often; a sent packet is polled for its opening, then once more
/// just after WeChat's 24-hour refund; final statuses and `needs_attention` are never
/// checked automatically.
public struct ReconcileSchedule: Sendable, Equatable {
    /// How long a `sending` payout belongs to the instance that accepted it: after this,
    /// the reconciler takes it as abandoned (a crash before or after the upstream call).
    /// Longer than any upstream call plus transaction 2.
    public var sendingGrace: TimeInterval
    /// unknown / abandoned sending: query or resend after these, then the last one forever.
    public var openDelays: [TimeInterval]
    /// sent: look for the opening after these, then the last one, until the refund is due.
    public var sentDelays: [TimeInterval]
    /// When WeChat refunds an unopened packet (24 h, reference §4.1), plus a margin.
    public var refundDueAfter: TimeInterval
    /// refunding, and sent past `refundDueAfter`.
    public var refundingDelays: [TimeInterval]
    /// WeChat answers gethbinfo for 30 days (reference §3.5). A day before that, an open
    /// billno is no longer resent (WeChat may forget it and pay again) and a payout the
    /// answers cannot settle goes to `needs_attention` for a person.
    public var attentionAge: TimeInterval
    /// NOT_FOUND this soon after a send may mean "still processing" (reference §3.5):
    /// query again rather than resend.
    public var notFoundGrace: TimeInterval
    /// After WeChat refused a resend of a billno, how long NOT_FOUND must persist after the
    /// billno's last possible send before it is closed as never kept and the payout moved to
    /// another entity (or failed). Until then it is only queried: a refusal such as
    /// FREQ_LIMIT is also how WeChat answers while it is still committing the first request,
    /// and a late commit after the billno was closed is a double payment.
    public var neverKeptGrace: TimeInterval
    /// A billno closed as failed on anything but WeChat's FAILED is queried once more the
    /// not-found grace after it was closed, and again these long after it was closed while
    /// WeChat still has no order (a commit later still is found, not missed).
    public var laterRechecks: [TimeInterval]

    public init(sendingGrace: TimeInterval = 60, openDelays: [TimeInterval] = [15, 30, 60, 120, 300, 600, 1800, 3600],
                sentDelays: [TimeInterval] = [60, 300, 900, 1800, 3600], refundDueAfter: TimeInterval = 24 * 3600 + 600,
                refundingDelays: [TimeInterval] = [600, 1800], attentionAge: TimeInterval = 29 * 24 * 3600, notFoundGrace: TimeInterval = 300,
                neverKeptGrace: TimeInterval = 1800, laterRechecks: [TimeInterval] = [3600, 24 * 3600]) {
        self.sendingGrace = sendingGrace
        self.openDelays = openDelays
        self.sentDelays = sentDelays
        self.refundDueAfter = refundDueAfter
        self.refundingDelays = refundingDelays
        self.attentionAge = attentionAge
        self.notFoundGrace = notFoundGrace
        self.neverKeptGrace = neverKeptGrace
        self.laterRechecks = laterRechecks
    }

    /// The next query of a billno closed at `closedAt` that WeChat still did not have at
    /// `now`; nil once the last one is done.
    public func nextRecheck(closedAt: Date, now: Date) -> Date? {
        laterRechecks.map { closedAt.addingTimeInterval($0) }.first { $0 > now }
    }

    /// The next look at a payout in `status` that has been looked at `checks` times in it;
    /// nil when nothing is left to do.
    public func next(_ status: PayoutStatus, checks: Int, sentAt: Date?, now: Date) -> Date? {
        switch status {
        case .accepted, .unknown:
            return now.addingTimeInterval(Self.delay(openDelays, checks))
        case .sending:
            return now.addingTimeInterval(checks == 0 ? sendingGrace : Self.delay(openDelays, checks))
        case .sent:
            let refundDue = (sentAt ?? now).addingTimeInterval(refundDueAfter)
            if now >= refundDue { return now.addingTimeInterval(Self.delay(refundingDelays, checks)) }
            // Never sleep past the refund: that answer is the one the payout waits for.
            return min(now.addingTimeInterval(Self.delay(sentDelays, checks)), refundDue)
        case .refunding:
            return now.addingTimeInterval(Self.delay(refundingDelays, checks))
        case .received, .refunded, .failed, .needsAttention:
            return nil
        }
    }

    static func delay(_ delays: [TimeInterval], _ checks: Int) -> TimeInterval {
        delays[min(max(checks, 0), delays.count - 1)]
    }
}
