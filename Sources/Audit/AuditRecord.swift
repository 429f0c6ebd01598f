import Foundation

/// One record of the audit log as readers see it (the dashboard, `hongbao audit tail`).
public struct AuditRecord: Sendable, Equatable {
    public let id: Int64
    public let chain: String
    public let seq: Int64
    public let occurredAt: Date
    public let actor: String
    public let action: String
    public let tenantID: String?
    public let merchant: String?
    public let payoutID: String?
    public let requestID: String?
    /// SHA-256 of the record before it in its chain (zeros for the first) and its own.
    public let prevHash: [UInt8]
    public let hash: [UInt8]
    /// The detail object as JSON text.
    public let detail: String
}
