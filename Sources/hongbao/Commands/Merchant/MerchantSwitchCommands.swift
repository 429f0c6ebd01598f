import ArgumentParser
import Foundation
import Merchants

struct MerchantEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable", abstract: "Let routing use an entity again (audited).",
        discussion: "Example:\n  hongbao merchant enable acme-sh --reason \"balance topped up\"")

    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "The entity's name.") var name: String
    @Option(help: "Why (recorded in the audit trail).") var reason: String?

    func run() async throws {
        _ = try merchants.find(name)
        let pool = try await database.connect()
        defer { pool.close() }
        try await MerchantStateStore(pool: pool).setEnabled(name, true, reason: reason, actor: actor.actor)
        print("\(name) enabled")
    }
}

struct MerchantDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Stop routing to an entity (audited); in-flight payouts finish.",
        discussion: "Example:\n  hongbao merchant disable acme-sh --reason \"certificate being rotated\"")

    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "The entity's name.") var name: String
    @Option(help: "Why (required; recorded in the audit trail).") var reason: String

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
    }

    func run() async throws {
        _ = try merchants.find(name)
        let pool = try await database.connect()
        defer { pool.close() }
        try await MerchantStateStore(pool: pool).setEnabled(name, false, reason: reason, actor: actor.actor)
        print("\(name) disabled: \(reason)")
    }
}

struct MerchantReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Validate merchants.d and tell every running gateway to load it (audited).",
        discussion: """
            Loads the directory here first; if anything is wrong nothing is signalled and \
            the errors are listed. Otherwise every gateway instance (LISTEN on \
            \(MerchantRegistry.reloadChannel)) swaps in the new snapshot; a gateway whose \
            own load fails keeps its old one. `kill -HUP` on one gateway does the same locally.
            """)

    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption

    func run() async throws {
        let loaded = try merchants.load()
        let pool = try await database.connect()
        defer { pool.close() }
        let names = loaded.map(\.name)
        try await pool.transaction { connection in
            try AdminAudit.record(connection, actor: actor.actor, action: "merchant.reload", detail: ["merchants": names.joined(separator: ",")])
            try connection.query("SELECT pg_notify($1, $2)", [MerchantRegistry.reloadChannel, "reload"])
        }
        print("validated \(loaded.count) merchant(s); reload signalled to running gateways")
    }
}
