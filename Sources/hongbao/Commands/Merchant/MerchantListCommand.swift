import ArgumentParser
import Foundation
import Payouts
import Merchants
import Operations
import Postgres
import WeChatPay

/// One entity as `list` and `show` print it.
struct MerchantView: Encodable {
    let name: String
    let kind: String
    let mode: String
    let mchId: String
    let appids: [AppIDBinding]
    /// nil when the database was not consulted (`--offline`): unknown, not "enabled".
    let enabled: Bool?
    let eligible: Bool
    let eligibleFrom: String?
    let reasons: [String]
    let limits: MerchantLimits
    let tenants: [String]
    let priority: Int
    let weight: Int
    let certificateExpires: String
    let file: String
    /// Today's reservations (nil with `--offline`).
    let usage: MerchantUsage?
    /// What only its kind has (a sub-merchant's provider, msgappid, …), by name.
    let kindFacts: [String: String]

    enum CodingKeys: String, CodingKey {
        case name, kind, mode, appids, enabled, eligible, reasons, limits, tenants, priority, weight, file, usage
        case kindFacts = "kind_facts"
        case mchId = "mch_id", eligibleFrom = "eligible_from", certificateExpires = "certificate_expires"
    }

    /// Every key always present: `enabled` and `eligible_from` are null when unknown or none.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(mode, forKey: .mode)
        try c.encode(mchId, forKey: .mchId)
        try c.encode(appids, forKey: .appids)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(eligible, forKey: .eligible)
        try c.encode(eligibleFrom, forKey: .eligibleFrom)
        try c.encode(reasons, forKey: .reasons)
        try c.encode(limits, forKey: .limits)
        try c.encode(tenants, forKey: .tenants)
        try c.encode(priority, forKey: .priority)
        try c.encode(weight, forKey: .weight)
        try c.encode(certificateExpires, forKey: .certificateExpires)
        try c.encode(file, forKey: .file)
        try c.encode(usage, forKey: .usage)
        try c.encode(kindFacts, forKey: .kindFacts)
    }

    /// `state` nil: the database was not consulted, so enablement and cool-downs are unknown.
    init(_ m: any MerchantConfig, state: MerchantRuntimeState?, usage: MerchantUsage?, today: BusinessDay, now: Date) {
        let standing = MerchantStanding(m, state: state, today: today, now: now)
        name = m.name
        kind = m.kind
        mode = m.mode.rawValue
        self.usage = usage
        mchId = m.merchantID
        appids = m.appIDs
        enabled = state?.enabled
        eligible = standing.eligible
        eligibleFrom = standing.eligibleFrom?.description
        reasons = standing.reasons
        limits = m.limits
        tenants = m.tenants.names
        priority = m.priority
        weight = m.weight
        certificateExpires = m.certificate.notValidAfter.formatted(.iso8601)
        file = m.source.path
        kindFacts = Dictionary(m.kindFacts.map { ($0.name, $0.value) }) { first, _ in first }
    }
}

/// Runtime state (enabled, cool-downs) and today's usage from the database; nil with
/// `--offline`. An unreachable database is an error: guessing "enabled" would mislead.
func databaseFacts(_ database: DatabaseOptions, offline: Bool, merchants: [any MerchantConfig], today: BusinessDay) async throws
    -> (states: [String: MerchantRuntimeState], usage: [String: MerchantUsage])? {
    if offline { return nil }
    let pool: PostgresPool
    do { pool = try await database.connect() } catch {
        throw CLIError("\(error)\nUse --offline to list from merchants.d alone (enabled: unknown).")
    }
    defer { pool.close() }
    return (try await MerchantStateStore(pool: pool).all(), try await UsageReport(pool: pool).usage(of: merchants, openID: nil, day: today))
}

extension Optional where Wrapped == Bool {
    var yesNoUnknown: String { map { $0 ? "yes" : "no" } ?? "unknown" }
}

struct MerchantListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List merchant entities: eligible or exactly why not, and from when.",
        discussion: """
            Eligibility follows WeChat's rule on today's Asia/Shanghai date: product enabled, \
            ≥ 90 days since onboarded_on, ≥ 30 days since trading_since — plus operator \
            enable/disable and cool-downs from the database.

            Examples:
              hongbao merchant list
              hongbao merchant list --json | jq '.[] | select(.eligible | not)'
            """
    )

    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Do not consult the database: enablement and cool-downs show as unknown.") var offline = false

    func run() async throws {
        let loaded = try merchants.load()
        let now = Date()
        let today = BusinessCalendar.day(of: now)
        let facts = try await databaseFacts(database, offline: offline, merchants: loaded, today: today)
        let views = loaded.map { merchant in
            MerchantView(merchant, state: facts.map { $0.states[merchant.name] ?? .default }, usage: facts.map { $0.usage[merchant.name] ?? .none },
                         today: today, now: now)
        }
        if json { return try Output.printJSON(views) }
        Output.printTable(["NAME", "MODE", "MCH_ID", "APPIDS", "ENABLED", "ELIGIBLE", "FROM", "LIMITS (min-max fen, /min, /user/day, daily fen)",
                           "TODAY (sends, fen, last min)", "WHY NOT"], views.map { v -> [String] in
            let appids: String = v.appids.map { "\($0.id)(\($0.type.rawValue))" }.joined(separator: ",")
            let l = v.limits
            let limits: String = "\(l.minFen)-\(l.maxFen), \(l.perMinute), \(l.perUserPerDay), \(l.dailyFen)"
            let used: String = v.usage.map { "\($0.countToday), \($0.amountTodayFen)/\(l.dailyFen), \($0.lastMinute)/\(l.perMinute)" } ?? "unknown"
            return [v.name, v.mode, v.mchId, appids, v.enabled.yesNoUnknown, v.eligible ? "yes" : "no", v.eligibleFrom ?? "-", limits, used,
                    v.reasons.joined(separator: "; ")]
        })
    }
}

struct MerchantShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one merchant entity (secrets are never shown).",
        discussion: "Example:\n  hongbao merchant show acme-sh --json")

    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The entity's name.") var name: String
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Do not consult the database: enablement and cool-downs show as unknown.") var offline = false

    func run() async throws {
        let merchant = try merchants.find(name)
        let now = Date()
        let today = BusinessCalendar.day(of: now)
        let facts = try await databaseFacts(database, offline: offline, merchants: [merchant], today: today)
        let view = MerchantView(merchant, state: facts.map { $0.states[name] ?? .default }, usage: facts.map { $0.usage[name] ?? .none },
                                today: today, now: now)
        if json { return try Output.printJSON(view) }
        let rows: [[String]] = [
            ["name", view.name], ["kind", view.kind], ["mode", view.mode], ["mch_id", view.mchId],
        ] + merchant.kindFacts.map { [$0.name, $0.value] } + [
            ["appids", view.appids.map { "\($0.id) (\($0.type.rawValue))" }.joined(separator: ", ")],
            ["send_name", merchant.sendName], ["base_url", merchant.credentials.baseURL], ["api_key", "\(merchant.credentials.apiKey)"],
            ["certificate", merchant.certificate.subject], ["expires", "\(view.certificateExpires) (\(merchant.certificate.daysToExpiry(from: now)) days)"],
            ["enabled", view.enabled.yesNoUnknown], ["eligible", view.eligible ? "yes" : "no: " + view.reasons.joined(separator: "; ")],
            ["eligible from", view.eligibleFrom ?? "- (product not enabled)"], ["tenants", view.tenants.joined(separator: ", ")],
            ["priority/weight", "\(view.priority) / \(view.weight)"], ["egress_ips", merchant.egressIPs.joined(separator: ", ")],
            ["today", view.usage.map { "\($0.countToday) sends, \($0.amountTodayFen) of \(view.limits.dailyFen) fen, \($0.lastMinute) of \(view.limits.perMinute) in the last minute" } ?? "unknown"],
            ["file", view.file],
        ]
        Output.printTable(["FIELD", "VALUE"], rows)
    }
}
