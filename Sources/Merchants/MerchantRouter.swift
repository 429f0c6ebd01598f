import Foundation
import WeChatPay

/// What is being sent, as far as routing cares.
public struct RouteRequest: Sendable {
    public enum PacketKind: Sendable { case normal, group(shares: Int), miniProgram }

    public var tenant: String
    public var appID: String
    public var openID: String
    public var kind: PacketKind
    /// Total amount (for a group packet, the sum of all shares).
    public var amountFen: Int64
    public var hasScene: Bool
    /// Entities already tried for this payout that failed definitely (nothing paid):
    /// re-routing skips them.
    public var excluding: Set<String>

    public init(tenant: String, appID: String, openID: String, kind: PacketKind = .normal, amountFen: Int64, hasScene: Bool = false,
                excluding: Set<String> = []) {
        self.tenant = tenant
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
    case appIDType(AppIDType, needed: AppIDType)
    case disabled(reason: String?)
    case notQualified([String])
    case tenantNotAllowed(String)
    case amountOutOfRange(fen: Int64, range: ClosedRange<Int64>, hasScene: Bool)
    case coolingDown(until: Date, code: String?)
    case perMinuteFull(limit: Int)
    case userDailyCountFull(limit: Int)
    case dailyAmountFull(limitFen: Int64, usedFen: Int64)
    case alreadyTried

    public var code: String {
        switch self {
        case .appIDNotServed: "appid_not_served"
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

    public var description: String {
        switch self {
        case .appIDNotServed(let appid): "does not serve appid \(appid)"
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
        case .dailyAmountFull(let limit, let used): "daily amount would exceed \(limit) fen (\(used) used)"
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

/// Picks merchants for a send (DESIGN.md §3). Pure given its inputs; `route` adds the
/// one capacity query.
public struct MerchantRouter: Sendable {
    public let capacity: any CapacityProvider

    public init(capacity: any CapacityProvider) { self.capacity = capacity }

    public func route(_ request: RouteRequest, snapshot: MerchantSnapshot, runtime: [String: MerchantRuntimeState],
                      now: Date = Date()) async throws -> RouteDecision {
        let day = BusinessCalendar.day(of: now)
        let serving = snapshot.serving(appID: request.appID)
        let usage = serving.isEmpty ? [:] : try await capacity.usage(of: serving.map(\.name), openID: request.openID, day: day, now: now)
        return Self.decide(request, snapshot: snapshot, runtime: runtime, usage: usage, now: now)
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
        func check(_ merchant: any MerchantConfig) -> Exclusion? {
            exclusion(of: merchant, request, runtime[merchant.name] ?? .default, usage[merchant.name] ?? .none, day: day, now: now)
        }
        var chosen: [any MerchantConfig] = []
        for group in snapshot.groups(appID: request.appID) where chosen.count < limit {
            var draws = WeightedDraws(group)
            while let merchant = draws.next(using: &generator) {
                if check(merchant) == nil {
                    chosen.append(merchant)
                    if chosen.count == limit { break }
                }
            }
        }
        if !chosen.isEmpty { return .candidates(chosen) }
        var excluded: [(merchant: String, exclusion: Exclusion)] = []
        for merchant in snapshot.merchants {
            excluded.append((merchant.name, check(merchant) ?? .appIDNotServed(request.appID)))
        }
        return .noCandidate(excluded)
    }

    public static func decide(_ request: RouteRequest, snapshot: MerchantSnapshot, runtime: [String: MerchantRuntimeState],
                              usage: [String: MerchantUsage], now: Date, limit: Int = 1) -> RouteDecision {
        var generator = SystemRandomNumberGenerator()
        return decide(request, snapshot: snapshot, runtime: runtime, usage: usage, now: now, limit: limit, using: &generator)
    }

    static func exclusion(of merchant: any MerchantConfig, _ request: RouteRequest, _ state: MerchantRuntimeState,
                          _ usage: MerchantUsage, day: BusinessDay, now: Date) -> Exclusion? {
        guard let binding = merchant.appIDs.first(where: { $0.id == request.appID }) else { return .appIDNotServed(request.appID) }
        if request.excluding.contains(merchant.name) { return .alreadyTried }
        let needed: AppIDType = if case .miniProgram = request.kind { .miniProgram } else { .officialAccount }
        guard binding.type == needed else { return .appIDType(binding.type, needed: needed) }
        guard state.enabled else { return .disabled(reason: state.reason) }
        let qualification = merchant.qualificationFacts.evaluate(on: day)
        guard qualification.eligible else { return .notQualified(qualification.reasons) }
        guard merchant.tenants.allows(request.tenant) else { return .tenantNotAllowed(request.tenant) }
        let limits = merchant.limits
        guard limits.accepts(perPacketFen: request.perPacketFen, hasScene: request.hasScene) else {
            let range = request.hasScene ? 1...MerchantLimits.sceneMaximumFen : limits.minFen...limits.maxFen
            return .amountOutOfRange(fen: request.perPacketFen, range: range, hasScene: request.hasScene)
        }
        if let until = state.cooldownUntil, until > now { return .coolingDown(until: until, code: state.cooldownCode) }
        guard usage.lastMinute < limits.perMinute else { return .perMinuteFull(limit: limits.perMinute) }
        guard usage.userToday < limits.perUserPerDay else { return .userDailyCountFull(limit: limits.perUserPerDay) }
        guard usage.amountTodayFen + request.amountFen <= limits.dailyFen else {
            return .dailyAmountFull(limitFen: limits.dailyFen, usedFen: usage.amountTodayFen)
        }
        return nil
    }
}

/// Entities of one priority group in weighted random order, without replacement, drawn
/// lazily: each draw picks entity i with probability weight_i / (remaining weight).
/// Draws hit by binary search over prefix sums; a draw that lands on an entity already
/// taken is repeated, and once half the group is taken the rest is ordered in one go.
struct WeightedDraws {
    let group: MerchantSnapshot.PriorityGroup
    var taken = Set<Int>()
    var rest: [Int]? = nil

    init(_ group: MerchantSnapshot.PriorityGroup) { self.group = group }

    mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> (any MerchantConfig)? {
        let count = group.merchants.count
        if count == 1 {
            guard taken.isEmpty else { return nil }
            taken.insert(0)
            return group.merchants[0]
        }
        if rest == nil, taken.count * 2 >= count || count <= 4 { rest = remainingInWeightedOrder(using: &generator) }
        if var ordered = rest {
            guard !ordered.isEmpty else { return nil }
            let index = ordered.removeFirst()
            rest = ordered
            return group.merchants[index]
        }
        while true {
            let index = group.index(forWeight: Int.random(in: 0..<group.totalWeight, using: &generator))
            if taken.insert(index).inserted { return group.merchants[index] }
        }
    }

    /// Efraimidis–Spirakis over what is left: key u^(1/w), largest first.
    private func remainingInWeightedOrder<G: RandomNumberGenerator>(using generator: inout G) -> [Int] {
        group.merchants.indices.filter { !taken.contains($0) }
            .map { ($0, Foundation.pow(Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator), 1 / Double(group.merchants[$0].weight))) }
            .sorted { $0.1 > $1.1 }
            .map(\.0)
    }
}
