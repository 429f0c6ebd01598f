import Foundation
import Payouts
import Tenants

/// What the tenant API's handlers need of the payout engine: a port (the engine conforms;
/// the fake in APITests stands in for it).
public protocol PayoutPort: Sendable {
    func submit(_ order: PayoutOrder, caller: Caller, idempotencyKey: String, requestID: String,
                render: @escaping PayoutRenderer) async throws -> PayoutEngine.Submission
    func payout(_ id: UUID, caller: Caller) async throws -> Payout?
    func refresh(_ id: UUID, caller: Caller, requestID: String) async throws -> Payout?
    func list(caller: Caller, filter: PayoutFilter) async throws -> PayoutPage
    func usage(caller: Caller, now: Date) async throws -> TenantUsage
}

extension PayoutEngine: PayoutPort {}
