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

    func route(_ order: PayoutOrder, owner: PayoutOwner) -> RouteRequest {
        RouteRequest(tenant: owner.tenantName, mode: owner.mode, appID: order.appID, openID: order.openID,
                     kind: Self.packetKind(order),
                     amountFen: order.amountFen, hasScene: order.sceneID != nil)
    }

    /// The first entity that is eligible and has room, its limits already reserved.
    func place(_ c: PostgresConnection, _ order: PayoutOrder, payout: UUID, owner: PayoutOwner, day: String, excluding: Set<String>,
               earlier: [(merchant: String, exclusion: Exclusion)] = []) throws -> any MerchantConfig {
        var request = route(order, owner: owner)
        request.excluding = excluding
        var refusals = earlier
        while true {
            switch router.route(request, snapshot: snapshot, runtime: runtime, now: now) {
            case .candidates(let list):
                let merchant = list[0]
                do {
                    try Self.reserve(c, merchant, order, payout: payout, day: day)
                    return merchant
                } catch let error as PostgresError {
                    guard let refusal = Reservations.Refusal(error) else { throw error }
                    if let exclusion = refusal.exclusion(merchant.limits) { refusals.append((merchant.name, exclusion)) }
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

    static func packetKind(_ order: PayoutOrder) -> RouteRequest.PacketKind {
        switch order.kind {
        case .normal: .normal
        case .group: .group(shares: order.totalNum)
        case .transfer: .transfer
        }
    }

    /// The entity's reservations inside the caller's transaction, undone together when one
    /// refuses. The slot ring is grown here when a refusal finds it shorter than the limit
    /// (its first use on this path, or a raised limit).
    static func reserve(_ c: PostgresConnection, _ merchant: any MerchantConfig, _ order: PayoutOrder, payout: UUID, day: String) throws {
        let key = order.kind.usageKey(merchant.merchantID)
        let limits = order.kind.limits(of: merchant)
        let statements = Reservations.reserveMerchant(mchID: key, openID: order.openID, day: day, amountFen: order.amountFen, limits: limits,
                                                     payout: payout)
        try c.savepoint {
            try c.run(statements[0])
            do {
                _ = try c.savepoint { try c.run(statements[1]) }
            } catch let error as PostgresError where Reservations.Refusal(error) == .perMinute {
                try c.run(Reservations.ensureRateSlots(mchID: key, limit: limits.perMinute))
                try c.run(statements[1])
            }
            try c.run(statements[2])
        }
    }

    /// What WeChat's fields become on this entity: the sender name and calling IP.
    static func sendName(_ order: PayoutOrder, on merchant: any MerchantConfig) -> String { order.sendName ?? merchant.sendName }

    /// sendredpack and transfers want the calling machine's IPv4. The tenant's `client_ip`, else the
    /// entity's first whitelisted egress IP, else loopback (WeChat checks the whitelist
    /// against the connection, not this field).
    static func clientIP(_ order: PayoutOrder, on merchant: any MerchantConfig) -> String? {
        guard order.kind != .group else { return nil }
        return order.clientIP ?? merchant.egressIPs.first(where: PayoutOrderRules.isIPv4) ?? "127.0.0.1"
    }
}
