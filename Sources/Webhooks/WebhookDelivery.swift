import Foundation
import Postgres

/// One event on its way to one endpoint (table `webhook_deliveries`), as operators see it.
public struct WebhookDelivery: Sendable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable { case pending, delivered, failed }

    public let id: UUID
    public let endpointID: UUID
    public let payoutID: UUID
    public let event: String
    public let eventID: UUID
    public let state: State
    public let attempts: Int
    public let nextAttemptAt: Date
    public let createdAt: Date
    public let deliveredAt: Date?
    public let lastStatus: Int?
    public let lastError: String?

    static let columns = """
        d.id, d.endpoint_id, d.payout_id, d.event, d.event_id, d.state, d.attempts, d.next_attempt_at, d.created_at,
        d.delivered_at, d.last_status, d.last_error
        """

    init(row: PostgresRow) throws {
        let state: String
        (id, endpointID, payoutID, event, eventID, state, attempts, nextAttemptAt, createdAt, deliveredAt, lastStatus, lastError) =
            try row.decode((UUID, UUID, UUID, String, UUID, String, Int, Date, Date, Date?, Int?, String?).self)
        self.state = State(rawValue: state) ?? .pending
    }
}

/// One try at delivering (table `webhook_attempts`): every one is recorded.
public struct WebhookAttempt: Sendable, Equatable {
    public let deliveryID: UUID
    public let number: Int
    public let startedAt: Date
    public let finishedAt: Date
    public let durationMs: Int
    /// The address connected to, once the target was resolved and allowed.
    public let address: String?
    /// The receiver's status; nil when it gave none (refused target, transport error, timeout).
    public let httpStatus: Int?
    public let error: String?

    public var succeeded: Bool { httpStatus.map { (200..<300).contains($0) } ?? false }

    static let columns = "delivery_id, number, started_at, finished_at, duration_ms, address, http_status, error"

    init(row: PostgresRow) throws {
        (deliveryID, number, startedAt, finishedAt, durationMs, address, httpStatus, error) =
            try row.decode((UUID, Int, Date, Date, Int, String?, Int?, String?).self)
    }
}
