import Foundation
import Synchronization
import WeChatPay

/// What is being sent, as far as routing cares.
public struct RouteRequest: Sendable {
    /// What is sent: a red packet of some kind, or an enterprise payment (`transfer`).
    public enum PacketKind: Sendable { case normal, group(shares: Int), miniProgram, transfer }

    public var tenant: String
    /// The API key's mode: only entities of the same mode may take it.
    public var mode: MerchantMode
    public var appID: String
    public var openID: String
    public var kind: PacketKind
    /// Total amount (for a group packet, the sum of all shares).
    public var amountFen: Int64
    public var hasScene: Bool
    /// Entities already tried for this payout that failed definitely (nothing paid):
    /// re-routing skips them.
    public var excluding: Set<String>

    public init(tenant: String, mode: MerchantMode = .live, appID: String, openID: String, kind: PacketKind = .normal, amountFen: Int64,
                hasScene: Bool = false, excluding: Set<String> = []) {
        self.tenant = tenant
        self.mode = mode
        self.appID = appID
        self.openID = openID
        self.kind = kind
        self.amountFen = amountFen
        self.hasScene = hasScene
        self.excluding = excluding
    }

    var perPacketFen: Int64 {
        if case .group(let shares) = kind, shares > 0 { return amountFen / Int64(shares) }
        return amountFen
    }
}

/// Why an entity cannot take a request.
public enum Exclusion: Sendable, Equatable, CustomStringConvertible {
    case appIDNotServed(String)
    case modeMismatch(entity: MerchantMode, key: MerchantMode)
    case appIDType(AppIDType, needed: AppIDType)
    case disabled(reason: String?)
    case notQualified([String])
    case tenantNotAllowed(String)
    case amountOutOfRange(fen: Int64, range: ClosedRange<Int64>, hasScene: Bool)
    case coolingDown(until: Date, code: String?)
    case perMinuteFull(limit: Int)
    case userDailyCountFull(limit: Int)
    case dailyAmountFull(limitFen: Int64, usedFen: Int64?)
    case alreadyTried

    public var code: String {
        switch self {
        case .appIDNotServed: "appid_not_served"
        case .modeMismatch: "mode_mismatch"
        case .appIDType: "appid_type"
        case .disabled: "disabled"
        case .notQualified: "not_qualified"
        case .tenantNotAllowed: "tenant_not_allowed"
        case .amountOutOfRange: "amount_out_of_range"
        case .coolingDown: "cooling_down"
        case .perMinuteFull: "rate_limited"
        case .userDailyCountFull: "user_daily_count"
        case .dailyAmountFull: "daily_amount"
        case .alreadyTried: "already_tried"
        }
    }

    /// What a tenant is told: the reason without what only an operator should read — no
    /// disable reason (operator free text), no other tenant's volume, no WeChat code.
    public var tenantReason: String {
        switch self {
        case .appIDNotServed: "does not serve this appid"
        case .modeMismatch, .tenantNotAllowed: "not available to this key"
        case .appIDType: description
        case .disabled: "disabled by an operator"
        case .notQualified: "not qualified to send yet (the 90-day/30-day rule, or the product is off)"
        case .amountOutOfRange: description
        case .coolingDown(let until, _): "routed around after a failure until \(until.formatted(.iso8601))"
        case .perMinuteFull: "reached its per-minute limit"
        case .userDailyCountFull(let limit): "this user already got \(limit) today from it (its limit)"
        case .dailyAmountFull: "reached its daily amount"
        case .alreadyTried: description
        }
    }

    public var description: String {
        switch self {
        case .appIDNotServed(let appid): "does not serve appid \(appid)"
        case .modeMismatch(let entity, let key): "a \(entity.rawValue) entity; a \(key.rawValue)-mode key reaches only \(key.rawValue) entities"
        case .appIDType(let type, let needed):
            type == .app ? "appid is a mobile-app appid, which cannot send red packets" : "appid is \(type.rawValue); this packet needs \(needed.rawValue)"
        case .disabled(let reason): "disabled by an operator" + (reason.map { ": \($0)" } ?? "")
        case .notQualified(let reasons): "not qualified: " + reasons.joined(separator: "; ")
        case .tenantNotAllowed(let tenant): "tenant \(tenant) may not use this merchant"
        case .amountOutOfRange(let fen, let range, let hasScene):
            "\(fen) fen per packet is outside \(range.lowerBound)–\(range.upperBound)" + (hasScene ? "" : " (a scene_id allows more)")
        case .coolingDown(let until, let code): "cooling down after \(code ?? "a configuration failure") until \(until.formatted(.iso8601))"
        case .perMinuteFull(let limit): "sent \(limit) in the last minute (its limit)"
        case .userDailyCountFull(let limit): "this user already got \(limit) today from it (its limit)"
        case .dailyAmountFull(let limit, let used): "daily amount would exceed \(limit) fen" + (used.map { " (\($0) used)" } ?? "")
        case .alreadyTried: "already tried for this payout and refused it"
        }
    }
}

/// The router's answer.
public enum RouteDecision: Sendable {
    /// Eligible entities, best first (priority, then weighted shuffle among equals).
    case candidates([any MerchantConfig])
    /// Nobody can take it: every entity with its reason (the API answers 422 with this).
    case noCandidate([(merchant: String, exclusion: Exclusion)])
}

/// Picks merchants for a send (DESIGN.md §3).
///
/// Routing decides on what is known without a round trip: the snapshot, runtime state
/// (enabled, cool-downs) and any usage the caller already has. The limits themselves
/// (per-minute, per-user-per-day, daily amount, tenant budget) are enforced where they
/// can hold across instances — the payout engine's reservation in PostgreSQL — and a
/// refused reservation routes again with that entity in `excluding`. So a decision costs
/// an index lookup by appid plus about one weighted draw, whatever the number of entities.
public final class MerchantRouter: Sendable {
    /// Spreads load; seeded once from the system generator (a system call per draw would
    /// cost more than the decision itself). Owned by this router, not global.
    private let generator: Mutex<SplitMixRandom>

    public init(seed: UInt64? = nil) {
        generator = Mutex(seed.map(SplitMixRandom.init(seed:)) ?? SplitMixRandom())
    }

    /// The production path: at most `limit` eligible entities, best first, or every
    /// entity with its reason.
    public func route(_ request: RouteRequest, snapshot: MerchantSnapshot, runtime: [String: MerchantRuntimeState],
                      usage: [String: MerchantUsage] = [:], now: Date = Date(), limit: Int = 1) -> RouteDecision {
        generator.withLock { generator in
            Self.decide(request, snapshot: snapshot, runtime: runtime, usage: usage, now: now, limit: limit, using: &generator)
        }
    }

    /// At most `limit` eligible entities, best first: the best priority group is sampled
    /// by weight (without replacement) and each draw checked, so a decision costs about
    /// `limit` checks whatever the number of entities. The engine asks for one and, after a
    /// definite failure, routes again with the failed entity in `excluding`. Only when
    /// nobody is eligible is every entity examined — to explain each one.
    public static func decide<G: RandomNumberGenerator>(_ request: RouteRequest, snapshot: MerchantSnapshot, runtime: [String: MerchantRuntimeState],
                                                       usage: [String: MerchantUsage], now: Date, limit: Int = 1,
                                                       using generator: inout G) -> RouteDecision {
        let day = BusinessCalendar.day(of: now)
        func check(_ profile: RoutingProfile) -> Exclusion? {
            exclusion(of: profile, request, runtime[profile.name] ?? .default, usage[profile.name] ?? .none, day: day, now: now)
        }
        let groups = snapshot.groups(appID: request.appID)
        var chosen: [any MerchantConfig] = []
        for group in groups where chosen.count < limit {
            var draws = WeightedDraws(group.cumulativeWeights)
            while let index = draws.next(using: &generator) {
                if check(group.profiles[index]) == nil {
                    chosen.append(group.merchants[index])
                    if chosen.count == limit { break }
                }
            }
        }
        if !chosen.isEmpty { return .candidates(chosen) }
        // The answer goes to the tenant: only entities its tenant and mode may use are
        // explained. Entities dedicated to other tenants, or of the other mode, are none of
        // its business (their names and state say how the operator's pool is laid out).
        func mayUse(_ mode: MerchantMode, _ tenants: TenantScope) -> Bool { mode == request.mode && tenants.allows(request.tenant) }
        var excluded: [(merchant: String, exclusion: Exclusion)] = []
        for group in groups {
            for profile in group.profiles where mayUse(profile.mode, profile.tenants) {
                excluded.append((profile.name, check(profile) ?? .alreadyTried))
            }
        }
        let serving = Set(groups.flatMap { $0.profiles.map(\.name) })
        for merchant in snapshot.merchants where !serving.contains(merchant.name) && mayUse(merchant.mode, merchant.tenants) {
            excluded.append((merchant.name, .appIDNotServed(request.appID)))
        }
        return .noCandidate(excluded)
    }

    static func exclusion(of profile: RoutingProfile, _ request: RouteRequest, _ state: MerchantRuntimeState,
                          _ usage: MerchantUsage, day: BusinessDay, now: Date) -> Exclusion? {
        if request.excluding.contains(profile.name) { return .alreadyTried }
        guard profile.mode == request.mode else { return .modeMismatch(entity: profile.mode, key: request.mode) }
        let transfer = if case .transfer = request.kind { true } else { false }
        if transfer {
            // mch_appid: any appid bound to the merchant but a mobile app's (WeChat refuses those).
            guard profile.appType != .app else { return .appIDType(profile.appType, needed: .officialAccount) }
        } else {
            let needed: AppIDType = if case .miniProgram = request.kind { .miniProgram } else { .officialAccount }
            guard profile.appType == needed else { return .appIDType(profile.appType, needed: needed) }
        }
        guard state.enabled else { return .disabled(reason: state.reason) }
        guard let from = transfer ? profile.transferEligibleFrom : profile.eligibleFrom, day >= from else {
            let facts = profile.qualificationFacts
            return .notQualified((transfer ? facts.evaluateTransfers(on: day) : facts.evaluate(on: day)).reasons)
        }
        guard profile.tenants.allows(request.tenant) else { return .tenantNotAllowed(request.tenant) }
        let limits = transfer ? profile.transferLimits : profile.limits
        if let refusal = limits.refusal(perPacketFen: request.perPacketFen, hasScene: request.hasScene) { return refusal }
        if let until = state.cooldownUntil, until > now { return .coolingDown(until: until, code: state.cooldownCode) }
        return limits.refusal(usage: usage, addingFen: request.amountFen)
    }
}

/// Entities of one priority group in weighted random order, without replacement, drawn
/// lazily: each draw picks entity i with probability weight_i / (remaining weight).
/// Draws hit by binary search over prefix sums; a draw that lands on an entity already
/// taken is repeated, and once half the group is taken the rest is ordered in one go.
struct WeightedDraws {
    /// The group's prefix-summed weights (all a draw needs).
    let cumulativeWeights: [Int]
    /// The first draw, kept without allocating: most decisions need only one.
    var first: Int? = nil
    var taken: Set<Int>? = nil
    var rest: [Int]? = nil

    init(_ cumulativeWeights: [Int]) { self.cumulativeWeights = cumulativeWeights }

    /// The next entity's index in the group, or nil when all were drawn.
    mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> Int? {
        let count = cumulativeWeights.count
        guard let firstIndex = first else {
            let index = count == 1 ? 0 : draw(using: &generator)
            first = index
            return index
        }
        if taken == nil { taken = [firstIndex] }
        if rest == nil, taken!.count * 2 >= count { rest = remainingInWeightedOrder(using: &generator) }
        if var ordered = rest {
            guard !ordered.isEmpty else { return nil }
            let index = ordered.removeFirst()
            rest = ordered
            return index
        }
        while true {
            let index = draw(using: &generator)
            if taken!.insert(index).inserted { return index }
        }
    }

    /// A uniform draw over the total weight, located by binary search.
    private func draw<G: RandomNumberGenerator>(using generator: inout G) -> Int {
        let target = Int.random(in: 0..<cumulativeWeights[cumulativeWeights.count - 1], using: &generator)
        var low = 0, high = cumulativeWeights.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulativeWeights[mid] > target { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Efraimidis–Spirakis over what is left: key u^(1/w), largest first.
    private func remainingInWeightedOrder<G: RandomNumberGenerator>(using generator: inout G) -> [Int] {
        cumulativeWeights.indices.filter { !(taken?.contains($0) ?? false) }
            .map { index -> (Int, Double) in
                let weight = cumulativeWeights[index] - (index == 0 ? 0 : cumulativeWeights[index - 1])
                return (index, Foundation.pow(Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator), 1 / Double(weight)))
            }
            .sorted { $0.1 > $1.1 }
            .map(\.0)
    }
}
