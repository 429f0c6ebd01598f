import Foundation

/// Payouts that are not final, by status: how many, how many the reconciler should look
/// at now, and since when the oldest waits. `needs_attention` waits for a person.
public struct Backlog: Sendable, Encodable {
    /// Every open status (accepted, sending, unknown, sent, refunding, needs_attention).
    public let byStatus: [String: Open]
    /// Open payouts whose next reconciler look is due now.
    public let due: Int64
    /// The oldest payouts that need attention (at most 20), for a person to act on.
    public let needsAttention: [Stuck]
    /// Of those, how many WeChat paid on more than one billno (`DoublePayment`).
    public let paidOnMoreThanOneBillno: Int64

    public static let openStatuses = ["accepted", "sending", "unknown", "sent", "refunding", "needs_attention"]

    public struct Open: Sendable, Encodable {
        public let count: Int64
        public let due: Int64
        public let oldestAt: String?
        public let oldestAgeSeconds: Int?

        enum CodingKeys: String, CodingKey { case count, due, oldestAt = "oldest_at", oldestAgeSeconds = "oldest_age_seconds" }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(count, forKey: .count)
            try c.encode(due, forKey: .due)
            try c.encode(oldestAt, forKey: .oldestAt)
            try c.encode(oldestAgeSeconds, forKey: .oldestAgeSeconds)
        }
    }

    public struct Stuck: Sendable, Encodable {
        public let id: String
        public let tenant: String
        public let merchant: String
        public let billno: String
        public let amountFen: Int64
        public let createdAt: String
        public let errorCode: String?
        public let errorMessage: String?

        enum CodingKeys: String, CodingKey {
            case id, tenant, merchant, billno
            case amountFen = "amount_fen", createdAt = "created_at", errorCode = "error_code", errorMessage = "error_message"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(tenant, forKey: .tenant)
            try c.encode(merchant, forKey: .merchant)
            try c.encode(billno, forKey: .billno)
            try c.encode(amountFen, forKey: .amountFen)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(errorCode, forKey: .errorCode)
            try c.encode(errorMessage, forKey: .errorMessage)
        }
    }

    enum CodingKeys: String, CodingKey {
        case due, byStatus = "by_status", needsAttention = "needs_attention", paidOnMoreThanOneBillno = "paid_on_more_than_one_billno"
    }
}

/// Webhook deliveries waiting to be made, and endpoints switched off.
public struct WebhookBacklog: Sendable, Encodable {
    public let pending: Int64
    public let oldestPending: PendingItem?
    public let disabledEndpoints: Int64
    /// The most recently disabled endpoints (at most 20).
    public let disabled: [DisabledEndpoint]

    public struct DisabledEndpoint: Sendable, Encodable {
        public let id: String
        public let tenant: String
        public let url: String
        public let reason: String
        public let disabledAt: String

        enum CodingKeys: String, CodingKey { case id, tenant, url, reason, disabledAt = "disabled_at" }
    }

    enum CodingKeys: String, CodingKey {
        case pending, disabled, oldestPending = "oldest_pending", disabledEndpoints = "disabled_endpoints"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pending, forKey: .pending)
        try c.encode(oldestPending, forKey: .oldestPending)
        try c.encode(disabledEndpoints, forKey: .disabledEndpoints)
        try c.encode(disabled, forKey: .disabled)
    }
}
