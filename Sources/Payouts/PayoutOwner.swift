import Foundation
import Merchants
import Tenants

/// Whose payout it is, as routing needs it: the tenant (for its merchants' allow-lists)
/// and the mode its key works in. A tenant's request has it from its API key; the
/// reconciler has it from the payout row.
struct PayoutOwner: Sendable {
    let tenantID: UUID
    let tenantName: String
    let mode: MerchantMode
}

extension Caller {
    var owner: PayoutOwner { PayoutOwner(tenantID: tenantID, tenantName: tenantName, mode: mode) }
}
