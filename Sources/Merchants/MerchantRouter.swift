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

    public init(tenant: String, appID: String, openID: String, kind: PacketKind = .normal, amountFen: Int64, hasScene: Bool = false) {
        self.tenant = tenant
        self.appID = appID
        self.openID = openID
        self.kind = kind
        self.amountFen = amountFen
        self.hasScene = hasScene
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

    public static func decide<G: RandomNumberGenerator>(_ request: RouteRequest, snapshot: MerchantSnapshot, runtime: [String: MerchantRuntimeState],
                                                       usage: [String: MerchantUsage], now: Date, using generator: inout G) -> RouteDecision {
        let day = BusinessCalendar.day(of: now)
        var eligible: [any MerchantConfig] = []
        var excluded: [(merchant: String, exclusion: Exclusion)] = []
        for merchant in snapshot.serving(appID: request.appID) {
            if let exclusion = exclusion(of: merchant, request, runtime[merchant.name] ?? .default, usage[merchant.name] ?? .none, day: day, now: now) {
                excluded.append((merchant.name, exclusion))
            } else {
                eligible.append(merchant)
            }
        }
        guard !eligible.isEmpty else {
            // Only on this failure path: explain every other entity too.
            let named = Set(excluded.map(\.merchant))
            for merchant in snapshot.merchants where !named.contains(merchant.name) {
                excluded.append((merchant.name, .appIDNotServed(request.appID)))
            }
            return .noCandidate(excluded)
        }
        return .candidates(order(eligible, using: &generator))
    }

    public static func decide(_ request: RouteRequest, snapshot: MerchantSnapshot, runtime: [String: MerchantRuntimeState],
                              usage: [String: MerchantUsage], now: Date) -> RouteDecision {
        var generator = SystemRandomNumberGenerator()
        return decide(request, snapshot: snapshot, runtime: runtime, usage: usage, now: now, using: &generator)
    }

    static func exclusion(of merchant: any MerchantConfig, _ request: RouteRequest, _ state: MerchantRuntimeState,
                          _ usage: MerchantUsage, day: BusinessDay, now: Date) -> Exclusion? {
        guard let binding = merchant.appIDs.first(where: { $0.id == request.appID }) else { return .appIDNotServed(request.appID) }
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

    /// Priority ascending; among equal priority a weighted random order (each entity's key
    /// is u^(1/weight), largest first), so weight w is chosen first w/Σw of the time.
    static func order<G: RandomNumberGenerator>(_ merchants: [any MerchantConfig], using generator: inout G) -> [any MerchantConfig] {
        let keyed = merchants.map { merchant -> (merchant: any MerchantConfig, key: Double) in
            let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
            return (merchant, Foundation.pow(u, 1 / Double(merchant.weight)))
        }
        return keyed.sorted { a, b in
            a.merchant.priority != b.merchant.priority ? a.merchant.priority < b.merchant.priority : a.key > b.key
        }.map(\.merchant)
    }
}
