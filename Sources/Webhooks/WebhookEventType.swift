/// The events a webhook endpoint can subscribe to: the outbox events the payout engine
/// writes (`PayoutLedger.Event`; a test keeps the two lists equal).
public enum WebhookEventType: String, Sendable, CaseIterable, Codable {
    case sent = "redpack.sent"
    case received = "redpack.received"
    case refunded = "redpack.refunded"
    case failed = "redpack.failed"
    case needsAttention = "redpack.needs_attention"
    case transferProcessing = "transfer.processing"
    case transferSucceeded = "transfer.succeeded"
    case transferFailed = "transfer.failed"
    case transferNeedsAttention = "transfer.needs_attention"

    /// What a subscription to every event, including ones added later, is shown as.
    public static let all = "*"
}
