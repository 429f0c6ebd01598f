import ArgumentParser
import Campaigns
import Foundation
import Merchants
import Payouts
import Tenants

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Create, list, show, start, pause, resume and end tenants' campaigns, and read their stats.",
        discussion: """
            A campaign is a red-packet template of one tenant in one mode: one wording, a fixed \
            or drawn amount, a budget, a per-user cap and an optional window, and optionally a \
            满额送 rule (docs/campaigns.md). Tenants manage their own with /v1/campaigns; these \
            commands are the operator's. Every change is recorded in the audit trail.

            Examples:
              hongbao campaign add --tenant shop-a --mode test --name spring --appid wx8888888888888888 \\
                --act-name 春节 --wishing 恭喜发财 --remark 谢谢 --amount-min-fen 100 --amount-max-fen 300 --budget-fen 100000 --activate
              hongbao campaign list --tenant shop-a --mode test
              hongbao campaign stats <id> --json
            """,
        subcommands: [CampaignAddCommand.self, CampaignListCommand.self, CampaignShowCommand.self, CampaignActionCommand<Activate>.self,
                      CampaignActionCommand<Pause>.self, CampaignActionCommand<Resume>.self, CampaignActionCommand<End>.self, CampaignStatsCommand.self]
    )
}

/// Campaign store refusals as CLI errors (nothing changed).
func campaignCall<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await gateway(body) } catch let error as CampaignError {
        let fields = error.problems.map { "  \($0.field): \($0.message)" }
        throw CLIError(([error.message] + fields).joined(separator: "\n"))
    }
}

/// A campaign id argument, checked before any side effect.
func campaignID(_ text: String) throws -> UUID {
    guard let id = UUID(uuidString: text) else { throw ValidationError("ID must be a UUID, as `hongbao campaign list` shows it") }
    return id
}

/// The campaign an operator named, any tenant's, with its tenant's name.
func operatorCampaign(_ store: CampaignStore, _ text: String) async throws -> (campaign: Campaign, tenantName: String) {
    guard let found = try await store.operatorFind(try campaignID(text)) else { throw CLIError("campaign \(text) not found") }
    return found
}

struct CampaignAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Create a campaign for a tenant (a draft unless --activate; audited).",
        discussion: """
            Give --amount-fen (every packet the same) or --amount-min-fen and --amount-max-fen \
            (each packet drawn within). The campaign is checked against WeChat's rules now: a \
            packet WeChat would refuse (e.g. outside 100–20000 fen without --scene-id) is refused \
            naming the field, and nothing is written. Window times are RFC 3339 with an offset \
            (2026-12-07T00:00:00+08:00 is midnight in Shanghai). A 满额送 rule is --min-paid-fen, \
            or --tier PAID:REWARD repeated (rewards within the amount range).

            Example:
              hongbao campaign add --tenant shop-a --mode test --name 满额送 --appid wx8888888888888888 --act-name 满额送 \\
                --wishing 谢谢惠顾 --remark r --amount-min-fen 150 --amount-max-fen 300 --budget-fen 100000 \\
                --tier 1000:150 --tier 5000:300 --activate --json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Option(help: "The tenant (name or id).") var tenant: String
    @Option(help: "live or test: which keys' world the campaign belongs to.") var mode: String = "live"
    @Option(help: "A name for people.") var name: String
    @Option(help: "The appid the users' openids belong to.") var appid: String
    @Option(help: "WeChat's act_name (≤ 32 characters).") var actName: String
    @Option(help: "The blessing (≤ 128 characters).") var wishing: String
    @Option(help: "The remark (≤ 256 characters).") var remark: String
    @Option(help: "Sender name shown to the user (default: the entity's).") var sendName: String?
    @Option(help: "WeChat's scene_id (PRODUCT_1 … PRODUCT_8), needed outside 1–200 yuan.") var sceneId: String?
    @Option(help: "Every packet's amount, in fen.") var amountFen: Int64?
    @Option(help: "The smallest packet, in fen (with --amount-max-fen).") var amountMinFen: Int64?
    @Option(help: "The largest packet, in fen (with --amount-min-fen).") var amountMaxFen: Int64?
    @Option(help: "The most the campaign may pay in all, in fen.") var budgetFen: Int64
    @Option(help: "Packets one user may get from the campaign.") var perOpenidCap: Int = CampaignDraft.defaultPerOpenIDCap
    @Option(help: "Packets are taken from this instant (RFC 3339).") var startsAt: String?
    @Option(help: "Packets are taken until this instant (RFC 3339, exclusive).") var endsAt: String?
    @Option(help: "满额送: a payment of at least this many fen earns a packet.") var minPaidFen: Int64?
    @Option(help: "满额送 tier PAID:REWARD in fen, repeated: the highest tier met decides.") var tier: [String] = []
    @Option(help: "campaign.budget_low goes out when what is left first falls to this percent of the budget.") var budgetLowPercent: Int = CampaignDraft.defaultBudgetLowPercent
    @Flag(help: "Start it at once (otherwise it is a draft).") var activate = false
    @Flag(help: "Print JSON.") var json = false

    var amounts: (min: Int64, max: Int64) {
        get throws {
            switch (amountFen, amountMinFen, amountMaxFen) {
            case (let fixed?, nil, nil): return (fixed, fixed)
            case (nil, let low?, let high?): return (low, high)
            default: throw ValidationError("give --amount-fen, or both --amount-min-fen and --amount-max-fen")
            }
        }
    }

    var rule: CampaignRule? {
        get throws {
            if let minPaidFen {
                guard tier.isEmpty else { throw ValidationError("give --min-paid-fen or --tier, not both") }
                return .minimum(paidFen: minPaidFen)
            }
            guard !tier.isEmpty else { return nil }
            return .tiers(try tier.map { text in
                let parts = text.split(separator: ":")
                guard parts.count == 2, let paid = Int64(parts[0]), let reward = Int64(parts[1]) else {
                    throw ValidationError("--tier must be PAID:REWARD in fen, e.g. 1000:150 (got \(text))")
                }
                return CampaignRule.Tier(paidFen: paid, rewardFen: reward)
            })
        }
    }

    static func instant(_ text: String?, _ flag: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = try? Date(text, strategy: .iso8601) else { throw ValidationError("\(flag) must be an RFC 3339 time with an offset, e.g. 2026-12-07T00:00:00+08:00") }
        return date
    }

    func validate() throws {
        guard MerchantMode(rawValue: mode) != nil else { throw ValidationError("--mode must be live or test") }
        _ = try amounts
        _ = try rule
        _ = try Self.instant(startsAt, "--starts-at")
        _ = try Self.instant(endsAt, "--ends-at")
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let found = try await gateway { try await TenantStore(pool: pool).find(tenant) }
        let (low, high) = try amounts
        let draft = CampaignDraft(name: name, appID: appid, actName: actName, wishing: wishing, remark: remark, sendName: sendName, sceneID: sceneId,
                                  amountMinFen: low, amountMaxFen: high, budgetFen: budgetFen, perOpenIDCap: perOpenidCap,
                                  startsAt: try Self.instant(startsAt, "--starts-at"), endsAt: try Self.instant(endsAt, "--ends-at"), rule: try rule,
                                  budgetLowPercent: budgetLowPercent)
        let store = CampaignStore(pool: pool)
        let mode = MerchantMode(rawValue: mode)!
        var campaign = try await campaignCall { try await store.create(draft, tenant: found.id, mode: mode, actor: actor.actor) }
        if activate { campaign = try await campaignCall { try await store.apply(.activate, to: campaign.id, tenant: found.id, mode: mode, actor: actor.actor) } }
        let view = CampaignView(campaign, tenant: found.name)
        if json { return try Output.printJSON(view) }
        print("campaign \(view.id) for \(view.tenant) (\(view.mode)): \(view.name), \(view.status)")
    }
}

struct CampaignListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "A tenant's campaigns in one mode, newest first.",
        discussion: "Examples:\n  hongbao campaign list --tenant shop-a\n  hongbao campaign list --tenant shop-a --mode test --json")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The tenant (name or id).") var tenant: String
    @Option(help: "live or test.") var mode: String = "live"
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard MerchantMode(rawValue: mode) != nil else { throw ValidationError("--mode must be live or test") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let found = try await gateway { try await TenantStore(pool: pool).find(tenant) }
        let views = try await CampaignStore(pool: pool).list(tenant: found.id, mode: MerchantMode(rawValue: mode)!).map { CampaignView($0, tenant: found.name) }
        if json { return try Output.printJSON(views) }
        Output.printTable(["ID", "NAME", "STATUS", "AMOUNT", "BUDGET LEFT", "CAP", "WINDOW"], views.map {
            [$0.id, $0.name, $0.status, $0.amountText, "\($0.budgetLeftFen) of \($0.budgetFen) fen", String($0.perOpenidCap), $0.windowText]
        })
    }
}

struct CampaignShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "One campaign, any tenant's.", discussion: "Example:\n  hongbao campaign show <id> --json")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The campaign's id.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func validate() throws { _ = try campaignID(id) }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let (campaign, tenant) = try await operatorCampaign(CampaignStore(pool: pool), id)
        let view = CampaignView(campaign, tenant: tenant)
        if json { return try Output.printJSON(view) }
        Output.printTable(["FIELD", "VALUE"], [
            ["id", view.id], ["tenant", "\(view.tenant) (\(view.mode))"], ["name", view.name], ["status", view.status + (view.endedReason.map { ": \($0)" } ?? "")],
            ["appid", view.appid], ["act_name", view.actName], ["wishing", view.wishing], ["remark", view.remark], ["amount", view.amountText],
            ["budget", "\(view.budgetLeftFen) of \(view.budgetFen) fen left"], ["per openid", String(view.perOpenidCap)], ["window", view.windowText],
        ])
    }
}

/// The status changes, one command each.
protocol CampaignActionName { static var action: CampaignStatus.Action { get }; static var abstract: String { get } }
enum Activate: CampaignActionName { static let action = CampaignStatus.Action.activate; static let abstract = "Start a draft campaign (audited)." }
enum Pause: CampaignActionName { static let action = CampaignStatus.Action.pause; static let abstract = "Pause an active campaign on every instance (audited)." }
enum Resume: CampaignActionName { static let action = CampaignStatus.Action.resume; static let abstract = "Resume a paused campaign (audited)." }
enum End: CampaignActionName { static let action = CampaignStatus.Action.end; static let abstract = "End a campaign for good (audited)." }

struct CampaignActionCommand<Name: CampaignActionName>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Name.action.rawValue, abstract: Name.abstract,
                             discussion: "Example:\n  hongbao campaign \(Name.action.rawValue) <id>")
    }

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "The campaign's id.") var id: String
    @Option(help: "Why (recorded; `end` only).") var reason: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        _ = try campaignID(id)
        if reason != nil, Name.action != .end { throw ValidationError("--reason is for `campaign end`") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let store = CampaignStore(pool: pool)
        let (current, tenant) = try await operatorCampaign(store, id)
        let changed = try await campaignCall {
            try await store.apply(Name.action, to: current.id, tenant: current.tenantID, mode: current.mode, reason: reason, actor: actor.actor)
        }
        let view = CampaignView(changed, tenant: tenant)
        if json { return try Output.printJSON(view) }
        print("campaign \(view.id) (\(view.name)) is \(view.status)")
    }
}

struct CampaignStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "What a campaign's packets came to, counts and fen, and its budget left.",
        discussion: "The same figures as GET /v1/campaigns/{id}/stats.\n\nExample:\n  hongbao campaign stats <id> --json")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The campaign's id.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func validate() throws { _ = try campaignID(id) }

    struct Figures: Encodable {
        struct Outcome: Encodable { let count: Int64; let fen: Int64 }
        let campaign: String
        let sent, received, refunded, failed, unknown: Outcome
        let budgetFen, budgetLeftFen, overspentFen: Int64

        enum CodingKeys: String, CodingKey {
            case campaign, sent, received, refunded, failed, unknown
            case budgetFen = "budget_fen", budgetLeftFen = "budget_left_fen", overspentFen = "overspent_fen"
        }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let store = CampaignStore(pool: pool)
        let (campaign, _) = try await operatorCampaign(store, id)
        guard let stats = try await store.stats(campaign.id, tenant: campaign.tenantID, mode: campaign.mode) else { throw CLIError("campaign \(id) not found") }
        func outcome(_ b: CampaignStats.Bucket) -> Figures.Outcome { .init(count: b.count, fen: b.fen) }
        let figures = Figures(campaign: campaign.id.uuidString.lowercased(), sent: outcome(stats.sent), received: outcome(stats.received),
                              refunded: outcome(stats.refunded), failed: outcome(stats.failed), unknown: outcome(stats.unknown),
                              budgetFen: stats.budgetFen, budgetLeftFen: stats.budgetLeftFen, overspentFen: stats.overspentFen)
        if json { return try Output.printJSON(figures) }
        Output.printTable(["OUTCOME", "COUNT", "FEN"], [("sent", figures.sent), ("received", figures.received), ("refunded", figures.refunded),
                                                      ("failed", figures.failed), ("unknown", figures.unknown)].map { [$0.0, String($0.1.count), String($0.1.fen)] })
        print("budget: \(figures.budgetLeftFen) of \(figures.budgetFen) fen left" + (figures.overspentFen > 0 ? ", \(figures.overspentFen) fen overspent" : ""))
    }
}

/// A campaign as the CLI prints it (JSON keys as the API's `Campaign`, plus its tenant).
struct CampaignView: Encodable {
    let id, tenant, mode, name, appid, actName, wishing, remark, status: String
    let sendName, sceneId, startsAt, endsAt, endedReason: String?
    let amountMinFen, amountMaxFen, budgetFen, budgetLeftFen: Int64
    let perOpenidCap: Int
    let rule: CampaignRule?
    let createdAt: String

    init(_ c: Campaign, tenant: String) {
        id = c.id.uuidString.lowercased()
        self.tenant = tenant
        mode = c.mode.rawValue
        name = c.name
        appid = c.appID
        actName = c.actName
        wishing = c.wishing
        remark = c.remark
        status = c.status.rawValue
        sendName = c.sendName
        sceneId = c.sceneID
        startsAt = c.startsAt?.formatted(.iso8601)
        endsAt = c.endsAt?.formatted(.iso8601)
        endedReason = c.endedReason
        amountMinFen = c.amountMinFen
        amountMaxFen = c.amountMaxFen
        budgetFen = c.budgetFen
        budgetLeftFen = c.budgetLeftFen
        perOpenidCap = c.perOpenIDCap
        rule = c.rule
        createdAt = c.createdAt.formatted(.iso8601)
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, mode, name, appid, wishing, remark, status, rule
        case actName = "act_name", sendName = "send_name", sceneId = "scene_id", startsAt = "starts_at", endsAt = "ends_at"
        case endedReason = "ended_reason", amountMinFen = "amount_min_fen", amountMaxFen = "amount_max_fen", budgetFen = "budget_fen"
        case budgetLeftFen = "budget_left_fen", perOpenidCap = "per_openid_cap", createdAt = "created_at"
    }

    /// Every key present, null when empty.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(mode, forKey: .mode)
        try c.encode(name, forKey: .name)
        try c.encode(appid, forKey: .appid)
        try c.encode(actName, forKey: .actName)
        try c.encode(wishing, forKey: .wishing)
        try c.encode(remark, forKey: .remark)
        try c.encode(status, forKey: .status)
        try c.encode(sendName, forKey: .sendName)
        try c.encode(sceneId, forKey: .sceneId)
        try c.encode(startsAt, forKey: .startsAt)
        try c.encode(endsAt, forKey: .endsAt)
        try c.encode(endedReason, forKey: .endedReason)
        try c.encode(amountMinFen, forKey: .amountMinFen)
        try c.encode(amountMaxFen, forKey: .amountMaxFen)
        try c.encode(budgetFen, forKey: .budgetFen)
        try c.encode(budgetLeftFen, forKey: .budgetLeftFen)
        try c.encode(perOpenidCap, forKey: .perOpenidCap)
        try c.encode(rule, forKey: .rule)
        try c.encode(createdAt, forKey: .createdAt)
    }

    var amountText: String { amountMinFen == amountMaxFen ? "\(amountMinFen) fen" : "\(amountMinFen)–\(amountMaxFen) fen" }
    var windowText: String { startsAt == nil && endsAt == nil ? "always" : "\(startsAt ?? "…") – \(endsAt ?? "…")" }
}
