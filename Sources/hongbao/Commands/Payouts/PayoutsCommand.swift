import ArgumentParser
import Assembly
import Foundation
import Logging
import Merchants
import NIOPosix
import Operations
import Payouts
import Tenants
import WeChatPay

struct PayoutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts",
        abstract: "Find payouts across tenants, show one's whole history, or query WeChat for it now.",
        discussion: """
            Statuses: accepted, sending, sent, received, refunding, refunded, failed, unknown, \
            needs_attention. `unknown` is being resolved by the reconciler with the same billno; \
            `needs_attention` is past what it can settle (see `payouts show` for why).

            Examples:
              hongbao payouts list --status unknown --json
              hongbao payouts show 1900000109202611300000000001
              hongbao payouts refresh <payout id>
            """,
        subcommands: [PayoutsListCommand.self, PayoutsShowCommand.self, PayoutsRefreshCommand.self]
    )
}

struct PayoutsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List payouts, newest first, with filters.",
        discussion: """
            Examples:
              hongbao payouts list --status needs_attention
              hongbao payouts list --tenant shop-a --openid oUser1 --json
              hongbao payouts list --billno 1900000109202611300000000042
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "A tenant's name or id.") var tenant: String?
    @Option(help: ArgumentHelp("One status.", valueName: "status")) var status: String?
    @Option(help: "An entity's name (merchants.d).") var merchant: String?
    @Option(help: "The receiving user.") var openid: String?
    @Option(help: "Any billno the payout used.") var billno: String?
    @Option(help: ArgumentHelp("Only payouts created before this (RFC 3339), to page back.", valueName: "time")) var before: String?
    @Option(help: "At most this many.") var limit = 50
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let status, PayoutStatus(rawValue: status) == nil {
            throw ValidationError("--status must be one of \(PayoutStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let before, (try? Date(before, strategy: .iso8601)) == nil { throw ValidationError("--before must be an RFC 3339 time, e.g. 2026-11-30T08:00:00Z") }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        var tenantID: UUID? = nil
        if let tenant { tenantID = try await gateway { try await TenantStore(pool: pool).find(tenant).id } }
        let filter = PayoutSearch.Filter(tenantID: tenantID, status: status.flatMap(PayoutStatus.init(rawValue:)), merchant: merchant, openID: openid,
                                         billno: billno, createdBefore: try before.map { try Date($0, strategy: .iso8601) }, limit: limit)
        let views = try await PayoutSearch.find(pool, filter).map(PayoutView.init)
        if json { return try Output.printJSON(views) }
        if views.isEmpty { return print("no payouts match") }
        Output.printTable(PayoutView.tableHeader, views.map(\.tableRow))
    }
}

struct PayoutsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one payout with every billno it used and every call made upstream.",
        discussion: """
            Examples:
              hongbao payouts show 5f0c6a1e-2d3b-4c5d-8e9f-0a1b2c3d4e5f
              hongbao payouts show 1900000109202611300000000042 --json
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The payout's id, or any billno it used.") var payout: String
    @Flag(help: "Print JSON.") var json = false

    struct Shown: Encodable {
        let payout: PayoutView
        let sends: [PayoutSearch.Send]
        let attempts: [PayoutSearch.Attempt]
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        guard let found = try await PayoutSearch.one(pool, payout) else { throw CLIError("no payout with id or billno \(payout)") }
        let history = try await PayoutSearch.history(pool, found.payout.id)
        let view = PayoutView(found)
        if json { return try Output.printJSON(Shown(payout: view, sends: history.sends, attempts: history.attempts)) }
        Output.printTable(["FIELD", "VALUE"], [
            ["id", view.id], ["tenant", view.tenant], ["kind", view.kind], ["mode", view.mode], ["status", view.status],
            ["merchant", "\(view.merchant) (mch_id \(view.mchID))"], ["billno", view.billno], ["appid", view.appID], ["openid", view.openID],
            ["amount", "\(view.amountFen) fen"], ["created", view.createdAt], ["sent", view.sentAt ?? "-"], ["final", view.finalAt ?? "-"],
            ["refunded", view.refundAmountFen.map { "\($0) fen" } ?? "-"],
            ["error", view.errorCode.map { "\($0): \(view.errorMessage ?? "")" } ?? "-"],
        ])
        print("\nbillnos")
        Output.printTable(["MCH_ID", "BILLNO", "MERCHANT", "STATE", "CREATED", "SENT AS"], history.sends.map {
            [$0.mchID, $0.billno, $0.merchant, $0.state, $0.createdAt.formatted(.iso8601), $0.sentAs]
        })
        print("\nupstream calls")
        Output.printTable(["STARTED", "API", "BILLNO", "MS", "OUTCOME", "ERROR"], history.attempts.map {
            [$0.startedAt.formatted(.iso8601), $0.api, $0.billno, String($0.milliseconds), $0.outcome, $0.errCode ?? ""]
        })
    }
}

struct PayoutsRefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh", abstract: "Query WeChat now (gethbinfo) and record what it says (audited).",
        discussion: """
            Example:
              hongbao payouts refresh 5f0c6a1e-2d3b-4c5d-8e9f-0a1b2c3d4e5f
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var policy: PolicyOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "The payout's id, or any billno it used.") var payout: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        JSONLogHandler.bootstrap()
        let logger = Logger(label: "hongbao.payouts")
        // The same policy as serve's engine and reconciler (the same flags and environment).
        try await withGateway(GatewaySettings(policy: policy.policy), database: database, merchants: merchants, logger: logger) { gw in
            guard let found = try await PayoutSearch.one(gw.pool, payout) else { throw CLIError("no payout with id or billno \(payout)") }
            let engine = gw.engine
            let before = found.payout.status
            let after = try await gateway { try await engine.refresh(found.payout, actor: actor.actor, requestID: nil) }
            let view = PayoutView(PayoutSearch.Found(payout: after, tenantName: found.tenantName))
            if json { return try Output.printJSON(view) }
            print(before == after.status ? "\(view.id): still \(view.status)" : "\(view.id): \(before.rawValue) → \(view.status)")
        }
    }
}
