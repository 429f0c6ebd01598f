/// The events a webhook endpoint can subscribe to: the outbox events the payout engine
/// writes (`PayoutLedger.Event`; a test keeps the two lists equal), and campaigns' (written
/// by migration 0019's `hb_campaign_event`).
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
    /// A campaign's budget fell to its low mark (once per campaign).
    case campaignBudgetLow = "campaign.budget_low"
    /// A campaign ended: its window closed, its budget was spent, or it was ended.
    case campaignEnded = "campaign.ended"

    /// What a subscription to every event, including ones added later, is shown as.
    public static let all = "*"
}
