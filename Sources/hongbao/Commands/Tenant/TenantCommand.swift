import ArgumentParser
import Foundation
import Payouts
import Tenants
import Webhooks

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Add, inspect, budget and disable tenants.",
        discussion: """
            A tenant is one SaaS customer: its API keys, payouts and usage are its own. \
            Every change is recorded in the audit trail.

            Examples:
              hongbao tenant add shop-a
              hongbao tenant budget shop-a --daily-budget-fen 5000000
              hongbao tenant show shop-a --json
            """,
        subcommands: [TenantAddCommand.self, TenantListCommand.self, TenantShowCommand.self, TenantBudgetCommand.self, TenantDisableCommand.self]
    )
}

/// A tenant as the CLI prints it.
struct TenantView: Encodable {
    let id: String
    let name: String
    let dailyBudgetFen: Int64?
    let disabled: Bool
    let disabledReason: String?
    let createdAt: String

    init(_ t: Tenant) {
        id = t.id.uuidString.lowercased()
        name = t.name
        dailyBudgetFen = t.dailyBudgetFen
        disabled = t.isDisabled
        disabledReason = t.disabledReason
        createdAt = t.createdAt.formatted(.iso8601)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, disabled, dailyBudgetFen = "daily_budget_fen", disabledReason = "disabled_reason", createdAt = "created_at"
    }

    /// `daily_budget_fen` is always present (null: no budget).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(dailyBudgetFen, forKey: .dailyBudgetFen)
        try c.encode(disabled, forKey: .disabled)
        try c.encode(disabledReason, forKey: .disabledReason)
        try c.encode(createdAt, forKey: .createdAt)
    }

    var budgetText: String { dailyBudgetFen.map { "\($0) fen/day" } ?? "none (no daily budget)" }
}

/// Runs a store call, turning a refusal (PayoutError, TenantError, WebhookError) into a one-line CLI error.
func gateway<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PayoutError {
        throw CLIError(error.message)
    } catch let error as TenantError {
        throw CLIError(error.message)
    } catch let error as WebhookError {
        throw CLIError(error.message)
    }
}

struct TenantAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a tenant (audited).",
        discussion: """
            Names are 1–63 characters of a-z, 0-9, '.', '_', '-' (merchants.d `tenants` lists \
            them). Without --daily-budget-fen the tenant has no daily budget. The budget bounds \
            each mode's spend on its own (see `hongbao tenant budget --help`).

            Examples:
              hongbao tenant add shop-a --daily-budget-fen 5000000
              hongbao tenant add shop-b --json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "The tenant's name.") var name: String
    @Option(help: "Most fen the tenant may send per Asia/Shanghai day, in each mode.") var dailyBudgetFen: Int64?
    @Flag(help: "Print JSON: {\"id\", \"name\", …}.") var json = false

    func validate() throws {
        if let budget = dailyBudgetFen, budget <= 0 { throw ValidationError("--daily-budget-fen must be positive") }
        if !Tenant.validName(name) { throw ValidationError("tenant names are 1–63 characters: a-z, 0-9, '.', '_', '-'") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let tenant = try await gateway { try await TenantStore(pool: pool).add(name: name, dailyBudgetFen: dailyBudgetFen, actor: actor.actor) }
        let view = TenantView(tenant)
        if json { return try Output.printJSON(view) }
        print("added tenant \(view.name) (\(view.id)); daily budget: \(view.budgetText)")
        print("next: hongbao key issue --tenant \(view.name) [--test]")
    }
}

struct TenantListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tenants.",
                                                    discussion: "Example:\n  hongbao tenant list --json")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let views = try await TenantStore(pool: pool).list().map(TenantView.init)
        if json { return try Output.printJSON(views) }
        Output.printTable(["NAME", "ID", "DAILY BUDGET", "STATE", "CREATED"], views.map {
            [$0.name, $0.id, $0.budgetText, $0.disabled ? "disabled: \($0.disabledReason ?? "")" : "active", $0.createdAt]
        })
    }
}

struct TenantShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one tenant, its keys and today's usage.",
                                                    discussion: "Example:\n  hongbao tenant show shop-a")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Name or id.") var tenant: String
    @Flag(help: "Print JSON.") var json = false

    struct Shown: Encodable {
        let tenant: TenantView
        let keys: [KeyView]
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let found = try await gateway { try await TenantStore(pool: pool).find(tenant) }
        let keys = try await APIKeyStore(pool: pool).list(tenant: found.id.uuidString).map { KeyView($0) }
        let view = TenantView(found)
        if json { return try Output.printJSON(Shown(tenant: view, keys: keys)) }
        Output.printTable(["FIELD", "VALUE"], [
            ["name", view.name], ["id", view.id], ["daily budget", view.budgetText],
            ["state", view.disabled ? "disabled: \(view.disabledReason ?? "")" : "active"], ["created", view.createdAt],
        ])
        print("")
        KeyView.printTable(keys)
    }
}

struct TenantBudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget", abstract: "Set or remove a tenant's daily budget (audited).",
        discussion: """
            The budget bounds each mode's spend on its own, as in Stripe's test mode: payouts \
            made with hb_live_ keys may reach it, and so may those made with hb_test_ keys, \
            separately. Test traffic therefore never uses up the live budget, and test mode \
            still refuses past the budget (429 budget_exhausted) as live mode would. \
            GET /v1/usage shows the calling key's mode; `hongbao status` shows both.

            Examples:
              hongbao tenant budget shop-a --daily-budget-fen 8000000
              hongbao tenant budget shop-a --none
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Name or id.") var tenant: String
    @Option(help: "Most fen per Asia/Shanghai day, in each mode (live and test apart).") var dailyBudgetFen: Int64?
    @Flag(help: "Remove the budget.") var none = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (dailyBudgetFen != nil) != none else { throw ValidationError("give exactly one of --daily-budget-fen N and --none") }
        if let budget = dailyBudgetFen, budget <= 0 { throw ValidationError("--daily-budget-fen must be positive") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let updated = try await gateway { try await TenantStore(pool: pool).setBudget(tenant, dailyBudgetFen: none ? nil : dailyBudgetFen, actor: actor.actor) }
        let view = TenantView(updated)
        if json { return try Output.printJSON(view) }
        print("\(view.name): daily budget \(view.budgetText)")
    }
}

struct TenantDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable a tenant: its keys stop working at once (audited).",
        discussion: "Example:\n  hongbao tenant disable shop-a --reason \"contract ended\"")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Name or id.") var tenant: String
    @Option(help: "Why (required; recorded in the audit trail).") var reason: String
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let updated = try await gateway { try await TenantStore(pool: pool).disable(tenant, reason: reason, actor: actor.actor) }
        if json { return try Output.printJSON(TenantView(updated)) }
        print("\(updated.name) disabled: \(reason)")
    }
}
