import Foundation

/// What WeChat's NOT_FOUND about an open send's billno means, decided from times alone
/// (the reconciler does the I/O). In order:
/// - past the attention window since the billno was made: a person decides (never failed
///   by guesswork, never resent so late);
/// - inside the not-found grace after the last moment the billno may have been sent:
///   WeChat may still be processing it (reference §3.5), so wait until the grace ends;
/// - the last resend was refused by WeChat: query only, until NOT_FOUND has lasted the
///   longer never-kept grace, then close it as never kept (a resend would push that on);
/// - otherwise resend the same billno, identically (re-entrant).
enum NotFoundDecision: Equatable, Sendable {
    case needsAttention
    case waitUntil(Date)
    case closeNeverKept
    case resend

    static func decide(now: Date, billnoCreatedAt: Date, maySendUntil: Date, lastSendRefused: Bool,
                       schedule: ReconcileSchedule) -> NotFoundDecision {
        if now.timeIntervalSince(billnoCreatedAt) >= schedule.attentionAge { return .needsAttention }
        let settled = maySendUntil.addingTimeInterval(schedule.notFoundGrace)
        if now < settled { return .waitUntil(settled) }
        guard lastSendRefused else { return .resend }
        let neverKept = maySendUntil.addingTimeInterval(schedule.neverKeptGrace)
        return now < neverKept ? .waitUntil(neverKept) : .closeNeverKept
    }
}
