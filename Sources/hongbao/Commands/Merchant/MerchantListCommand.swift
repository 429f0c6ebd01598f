import ArgumentParser
import Foundation
import Merchants
import Postgres
import WeChatPay

/// One entity as `list` and `show` print it.
struct MerchantView: Encodable {
    let name: String
    let kind: String
    let mchId: String
    let appids: [AppIDBinding]
    let enabled: Bool
    let eligible: Bool
    let eligibleFrom: String?
    let reasons: [String]
    let limits: MerchantLimits
    let tenants: [String]
    let priority: Int
    let weight: Int
    let certificateExpires: String
    let file: String

    enum CodingKeys: String, CodingKey {
        case name, kind, appids, enabled, eligible, reasons, limits, tenants, priority, weight, file
        case mchId = "mch_id", eligibleFrom = "eligible_from", certificateExpires = "certificate_expires"
    }

    init(_ m: any MerchantConfig, state: MerchantRuntimeState, today: BusinessDay, now: Date) {
        let q = m.qualificationFacts.evaluate(on: today)
        var reasons = q.reasons
        if !m.appIDs.contains(where: { $0.type != .app }) {
            reasons.append("only mobile-app appids (\(m.appIDs.map(\.id).joined(separator: ", "))): WeChat refuses red packets for them (ILLEGAL_APPID)")
        }
        if !state.enabled { reasons.insert("disabled by an operator" + (state.reason.map { ": \($0)" } ?? ""), at: 0) }
        if let until = state.cooldownUntil, until > now { reasons.append("cooling down after \(state.cooldownCode ?? "a failure") until \(until.formatted(.iso8601))") }
        name = m.name
        kind = m.kind
        mchId = m.merchantID
        appids = m.appIDs
        enabled = state.enabled
        eligible = reasons.isEmpty
        eligibleFrom = q.eligibleFrom?.description
        self.reasons = reasons
        limits = m.limits
        tenants = m.tenants.names
        priority = m.priority
        weight = m.weight
        certificateExpires = m.certificate.notValidAfter.formatted(.iso8601)
        file = m.source.path
    }
}

/// Runtime state from the database, or a warning and defaults when it cannot be reached.
func runtimeStates(_ database: DatabaseOptions) async -> [String: MerchantRuntimeState] {
    do {
        let pool = try await database.connect()
        defer { pool.close() }
        return try await MerchantStateStore(pool: pool).all()
    } catch {
        FileHandle.standardError.write(Data("warning: \(error); showing every entity as enabled\n".utf8))
        return [:]
    }
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

    func run() async throws {
        let loaded = try merchants.load()
        let states = await runtimeStates(database)
        let now = Date()
        let today = BusinessCalendar.day(of: now)
        let views = loaded.map { MerchantView($0, state: states[$0.name] ?? .default, today: today, now: now) }
        if json { return try Output.printJSON(views) }
        Output.printTable(["NAME", "MCH_ID", "APPIDS", "ENABLED", "ELIGIBLE", "FROM", "LIMITS (min-max fen, /min, /user/day, daily fen)", "WHY NOT"], views.map { v in
            [v.name, v.mchId, v.appids.map { "\($0.id)(\($0.type.rawValue))" }.joined(separator: ","), v.enabled ? "yes" : "no",
             v.eligible ? "yes" : "no", v.eligibleFrom ?? "-",
             "\(v.limits.minFen)-\(v.limits.maxFen), \(v.limits.perMinute), \(v.limits.perUserPerDay), \(v.limits.dailyFen)",
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

    func run() async throws {
        let merchant = try merchants.find(name)
        let states = await runtimeStates(database)
        let now = Date()
        let view = MerchantView(merchant, state: states[name] ?? .default, today: BusinessCalendar.day(of: now), now: now)
        if json { return try Output.printJSON(view) }
        let rows: [[String]] = [
            ["name", view.name], ["kind", view.kind], ["mch_id", view.mchId],
            ["appids", view.appids.map { "\($0.id) (\($0.type.rawValue))" }.joined(separator: ", ")],
            ["send_name", merchant.sendName], ["base_url", merchant.credentials.baseURL], ["api_key", "\(merchant.credentials.apiKey)"],
            ["certificate", merchant.certificate.subject], ["expires", "\(view.certificateExpires) (\(merchant.certificate.daysToExpiry(from: now)) days)"],
            ["enabled", view.enabled ? "yes" : "no"], ["eligible", view.eligible ? "yes" : "no: " + view.reasons.joined(separator: "; ")],
            ["eligible from", view.eligibleFrom ?? "- (product not enabled)"], ["tenants", view.tenants.joined(separator: ", ")],
            ["priority/weight", "\(view.priority) / \(view.weight)"], ["egress_ips", merchant.egressIPs.joined(separator: ", ")],
            ["file", view.file],
        ]
        Output.printTable(["FIELD", "VALUE"], rows)
    }
}
