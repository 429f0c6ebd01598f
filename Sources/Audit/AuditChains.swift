import Foundation

/// Chain names of the audit log: the admin chain (`AuditLog.adminChain`), each entity's
/// (`AuditLog.merchantChain`), each tenant's payout stripes, chosen by payout id so
/// concurrent payouts of one tenant do not all wait on one chain head, and each campaign's.
public enum AuditChains {
    /// 64 since issue 19 (16 before: one tenant at 32 clients waited on its heads). Chains
    /// are only names, each verified on its own: a payout made before may have its later
    /// records on another of its tenant's chains.
    public static let stripes = 64

    public static func payout(tenant: UUID, payout: UUID) -> String {
        "tenant:\(tenant.uuidString.lowercased()):\(Int(payout.uuid.0) % stripes)"
    }

    /// Every change to one campaign (created, activated, paused, resumed, ended).
    public static func campaign(_ id: UUID) -> String { "campaign:\(id.uuidString.lowercased())" }
}
