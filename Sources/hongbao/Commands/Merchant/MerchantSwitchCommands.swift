import ArgumentParser
import Audit
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
            the errors are listed. Otherwise the reload generation in the database is \
            bumped and announced (NOTIFY \(MerchantReloadSignal.channel)); every gateway \
            instance swaps in the new snapshot at once, or within its poll interval if it \
            missed the notification. A gateway whose own load fails keeps its old snapshot \
            and says so in /readyz and its log. `kill -HUP` on one gateway reloads just it.

            Example:
              hongbao merchant reload --actor ops:alice
            """)

    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption

    func run() async throws {
        let loaded = try merchants.load()
        let pool = try await database.connect()
        defer { pool.close() }
        let names = loaded.map(\.name)
        let actor = actor.actor
        let generation = try await pool.transaction { connection in
            let generation = try MerchantReloadSignal.request(connection, actor: actor)
            try AdminAudit.record(connection, actor: actor, action: "merchant.reload",
                                  detail: ["merchants": names.joined(separator: ","), "generation": String(generation)])
            return generation
        }
        print("validated \(loaded.count) merchant(s); reload generation \(generation) signalled to running gateways")
    }
}
