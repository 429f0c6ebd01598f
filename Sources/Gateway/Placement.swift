import Foundation
import Merchants
import Postgres
import WeChatPay

/// Nobody could take the payout: every entity with its reason. `limited` when a limit
/// (rather than configuration or eligibility) is what stopped it: 429, else 422.
public struct PlacementRefusal: Error, Sendable {
    public let exclusions: [(merchant: String, exclusion: Exclusion)]
    public let tenantBudget: Int64?

    /// A limit, not the merchants' setup, is what stopped it.
    public var limited: Bool {
        tenantBudget != nil || exclusions.contains { Self.limitCodes.contains($0.exclusion.code) }
    }

    public static let limitCodes: Set<String> = ["rate_limited", "user_daily_count", "daily_amount", "cooling_down"]
}

/// Routes a payout and reserves the chosen entity's limits in one go, inside the caller's
/// transaction: the router proposes (no round trip), the reservation decides (each in a
/// savepoint), and an entity whose limit refused is excluded and the next one tried.
struct Placement {
    let router: MerchantRouter
    let snapshot: MerchantSnapshot
    let runtime: [String: MerchantRuntimeState]
    let now: Date

    func route(_ order: PayoutOrder, caller: Caller) -> RouteRequest {
        RouteRequest(tenant: caller.tenantName, mode: caller.mode, appID: order.appID, openID: order.openID,
                     kind: order.kind == .group ? .group(shares: order.totalNum) : .normal,
                     amountFen: order.amountFen, hasScene: order.sceneID != nil)
    }

    /// The first entity that is eligible and has room, its limits already reserved.
    func place(_ c: PostgresConnection, _ order: PayoutOrder, caller: Caller, day: String, excluding: Set<String>,
               earlier: [(merchant: String, exclusion: Exclusion)] = []) throws -> any MerchantConfig {
        var request = route(order, caller: caller)
        request.excluding = excluding
        var refusals = earlier
        while true {
            switch router.route(request, snapshot: snapshot, runtime: runtime, now: now) {
            case .candidates(let list):
                let merchant = list[0]
                do {
                    try c.savepoint {
                        try Reservations.reserveMerchant(c, mchID: merchant.merchantID, openID: order.openID, day: day,
                                                         amountFen: order.amountFen, limits: merchant.limits)
                    }
                    return merchant
                } catch let refusal as Reservations.Refusal {
                    if let exclusion = refusal.exclusion { refusals.append((merchant.name, exclusion)) }
                    request.excluding.insert(merchant.name)
                }
            case .noCandidate(let reasons):
                // An entity tried for this payout shows why it was tried and refused.
                let merged = reasons.map { entry -> (merchant: String, exclusion: Exclusion) in
                    guard entry.exclusion == .alreadyTried, let earlier = refusals.last(where: { $0.merchant == entry.merchant }) else { return entry }
                    return earlier
                }
                throw PlacementRefusal(exclusions: merged, tenantBudget: nil)
            }
        }
    }

    /// What WeChat's fields become on this entity: the sender name and calling IP.
    static func sendName(_ order: PayoutOrder, on merchant: any MerchantConfig) -> String { order.sendName ?? merchant.sendName }

    /// sendredpack wants the calling machine's IPv4. The tenant's `client_ip`, else the
    /// entity's first whitelisted egress IP, else loopback (WeChat checks the whitelist
    /// against the connection, not this field).
    static func clientIP(_ order: PayoutOrder, on merchant: any MerchantConfig) -> String? {
        guard order.kind == .normal else { return nil }
        return order.clientIP ?? merchant.egressIPs.first(where: PayoutOrderRules.isIPv4) ?? "127.0.0.1"
    }
}
