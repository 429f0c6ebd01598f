import ArgumentParser
import Foundation
import Payouts
import Merchants
import Tenants

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Issue, list, revoke and rotate tenants' API keys.",
        discussion: """
            Keys look like hb_live_<random>_<checksum> (or hb_test_…). A test key reaches only \
            entities whose file says mode = "test" (the simulator); a live key only live ones. \
            A key is shown once, when issued; the database keeps its SHA-256. Revocation holds \
            on every gateway instance from the next request on.

            Examples:
              hongbao key issue --tenant shop-a --test --json
              hongbao key list --tenant shop-a
              hongbao key rotate hb_live_AbCdEfGhIjKl --overlap-hours 24
            """,
        subcommands: [KeyIssueCommand.self, KeyListCommand.self, KeyRevokeCommand.self, KeyRotateCommand.self]
    )
}

/// A key as the CLI prints it (never the key itself).
struct KeyView: Encodable {
    let id: String
    let tenant: String
    let mode: String
    let lookup: String
    let label: String?
    let state: String
    let createdAt: String
    let expiresAt: String?
    let revokedAt: String?

    init(_ k: APIKeyInfo) {
        id = k.id.uuidString.lowercased()
        tenant = k.tenantName
        mode = k.mode.rawValue
        lookup = k.lookup
        label = k.label
        state = k.state()
        createdAt = k.createdAt.formatted(.iso8601)
        expiresAt = k.expiresAt.map { $0.formatted(.iso8601) }
        revokedAt = k.revokedAt.map { $0.formatted(.iso8601) }
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, mode, lookup, label, state, createdAt = "created_at", expiresAt = "expires_at", revokedAt = "revoked_at"
    }

    static func printTable(_ keys: [KeyView]) {
        Output.printTable(["KEY ID", "TENANT", "MODE", "LOOKUP", "STATE", "CREATED", "EXPIRES"], keys.map {
            [$0.id, $0.tenant, $0.mode, $0.lookup + "…", $0.state, $0.createdAt, $0.expiresAt ?? "-"]
        })
    }
}

/// What `issue` and `rotate` print: the key, once.
struct IssuedView: Encodable {
    let id: String
    let key: String
    let tenant: String
    let mode: String
    let lookup: String
    let expiresAt: String?

    init(_ issued: IssuedKey) {
        id = issued.info.id.uuidString.lowercased()
        key = issued.key.text
        tenant = issued.info.tenantName
        mode = issued.info.mode.rawValue
        lookup = issued.info.lookup
        expiresAt = issued.info.expiresAt.map { $0.formatted(.iso8601) }
    }

    enum CodingKeys: String, CodingKey { case id, key, tenant, mode, lookup, expiresAt = "expires_at" }

    func printHuman() {
        print("key \(id) for \(tenant) (\(mode)):")
        print("")
        print("    \(key)")
        print("")
        print("It is shown this once; store it now. Send it as: Authorization: Bearer <key>")
    }
}

struct KeyIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Issue an API key for a tenant (shown once; audited).",
        discussion: """
            Live unless --test. A test key (hb_test_…) reaches only mode = "test" entities.

            Examples:
              hongbao key issue --tenant shop-a --test
              hongbao key issue --tenant shop-a --label "billing service" --expires-in-days 90 --json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Option(help: "The tenant (name or id).") var tenant: String
    @Flag(help: "A test-mode key (hb_test_…): only test entities (the simulator).") var test = false
    @Option(help: "A note for people (which service uses it).") var label: String?
    @Option(help: "Expire after this many days.") var expiresInDays: Int?
    @Flag(help: "Print JSON: {\"id\", \"key\", …}.") var json = false

    func validate() throws {
        if let days = expiresInDays, !(1...3650).contains(days) { throw ValidationError("--expires-in-days must be 1–3650") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let expires = expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
        let issued = try await gateway {
            try await APIKeyStore(pool: pool).issue(tenant: tenant, mode: test ? .test : .live, label: label, expiresAt: expires, actor: actor.actor)
        }
        let view = IssuedView(issued)
        if json { return try Output.printJSON(view) }
        view.printHuman()
    }
}

struct KeyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys (never the keys themselves).",
                                                    discussion: "Examples:\n  hongbao key list\n  hongbao key list --tenant shop-a --json")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only this tenant's keys.") var tenant: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let keys = try await gateway { try await APIKeyStore(pool: pool).list(tenant: tenant).map(KeyView.init) }
        if json { return try Output.printJSON(keys) }
        KeyView.printTable(keys)
    }
}

struct KeyRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a key at once, on every gateway instance (audited).",
        discussion: "Example:\n  hongbao key revoke hb_live_AbCdEfGhIjKl --reason \"leaked in a log\"")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Key id or lookup prefix (as `key list` shows it).") var key: String
    @Option(help: "Why (required; recorded in the audit trail).") var reason: String
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let revoked = try await gateway { try await APIKeyStore(pool: pool).revoke(key, reason: reason, actor: actor.actor) }
        if json { return try Output.printJSON(KeyView(revoked)) }
        print("revoked \(revoked.lookup)… of \(revoked.tenantName)")
    }
}

struct KeyRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Issue a replacement key; the old one works for --overlap-hours more (audited).",
        discussion: """
            The new key is shown once. The old key expires after the overlap (never later \
            than it would have), so clients can switch without downtime.

            Example:
              hongbao key rotate hb_live_AbCdEfGhIjKl --overlap-hours 24
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Key id or lookup prefix.") var key: String
    @Option(help: "Hours the old key keeps working (0 = stops now).") var overlapHours: Int = 24
    @Flag(help: "Print JSON: {\"id\", \"key\", …}.") var json = false

    func validate() throws {
        if !(0...720).contains(overlapHours) { throw ValidationError("--overlap-hours must be 0–720") }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let issued = try await gateway { try await APIKeyStore(pool: pool).rotate(key, overlap: .seconds(overlapHours * 3600), actor: actor.actor) }
        let view = IssuedView(issued)
        if json { return try Output.printJSON(view) }
        view.printHuman()
        print("The old key works for \(overlapHours) more hour(s).")
    }
}
