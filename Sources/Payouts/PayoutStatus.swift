/// Where a payout is (DESIGN.md §4). The allowed changes are this one table; migration
/// 0006 holds the same table for the database trigger, and a test keeps them equal.
public enum PayoutStatus: String, Sendable, Codable, CaseIterable {
    /// Committed and queued; nobody is sending it right now.
    case accepted
    /// Committed and handed to an instance that is sending it (or crashed doing so).
    case sending
    /// WeChat accepted it; money left the merchant; waiting to be opened.
    case sent
    /// Opened by the user (final).
    case received
    /// Unclaimed after 24 h; WeChat is refunding it.
    case refunding
    /// Unclaimed money went back to the merchant (final).
    case refunded
    /// Definitely nothing paid (final).
    case failed
    /// The last answer did not say whether it paid: the same billno is queried or resent.
    case unknown
    /// Outside what the reconciler can settle (e.g. past WeChat's 30-day query window).
    case needsAttention = "needs_attention"

    public static let transitions: [PayoutStatus: Set<PayoutStatus>] = [
        .accepted: [.sending, .failed, .needsAttention],
        .sending: [.sent, .failed, .unknown, .received, .refunding, .refunded, .needsAttention],
        .unknown: [.sent, .failed, .received, .refunding, .refunded, .needsAttention],
        .sent: [.received, .refunding, .refunded, .needsAttention],
        .refunding: [.refunded, .received, .needsAttention],
        .needsAttention: [.sent, .received, .refunding, .refunded, .failed],
        // Final for WeChat; a person's only if a billno it closed turns out paid (a double payment).
        .received: [.needsAttention], .refunded: [.needsAttention], .failed: [.needsAttention],
    ]

    public func canMove(to next: PayoutStatus) -> Bool { Self.transitions[self]?.contains(next) ?? false }

    /// The send itself is settled (paid, or definitely not): the API answers 201.
    public var sendSettled: Bool { self != .accepted && self != .sending && self != .unknown }
}
