import ArgumentParser
import Foundation
import Payouts
import Merchants
import Tenants
import Webhooks

struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Register, list, remove, enable tenants' webhook endpoints and redeliver events.",
        discussion: """
            An endpoint receives the events of its tenant's red packets of one mode \
            (redpack.sent, .received, .refunded, .failed, .needs_attention), each POSTed as JSON \
            and signed with HMAC-SHA256 in the Hongbao-Signature header (docs/webhooks.md). \
            Tenants manage their own with POST/GET/DELETE /v1/webhooks; these commands are the \
            operator's. Every change is recorded in the audit trail.

            Examples:
              hongbao webhook add --tenant shop-a --url https://shop.example/hongbao/events
              hongbao webhook list --tenant shop-a
              hongbao webhook deliveries <endpoint id>
            """,
        subcommands: [WebhookAddCommand.self, WebhookListCommand.self, WebhookRemoveCommand.self, WebhookEnableCommand.self,
                      WebhookRedeliverCommand.self, WebhookDeliveriesCommand.self, WebhookResealCommand.self]
    )
}

/// An endpoint as the CLI prints it (never its secret).
struct WebhookView: Encodable {
    let id: String
    let tenant: String
    let mode: String
    let url: String
    let description: String?
    let events: [String]
    let enabled: Bool
    let disabledAt: String?
    let disabledReason: String?
    let consecutiveFailures: Int
    let createdAt: String

    init(_ e: WebhookEndpoint) {
        id = e.id.uuidString.lowercased()
        tenant = e.tenantName
        mode = e.mode.rawValue
        url = e.url
        description = e.description
        events = e.eventNames
        enabled = e.enabled
        disabledAt = e.disabledAt?.formatted(.iso8601)
        disabledReason = e.disabledReason
        consecutiveFailures = e.consecutiveFailures
        createdAt = e.createdAt.formatted(.iso8601)
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, mode, url, description, events, enabled, disabledAt = "disabled_at", disabledReason = "disabled_reason"
        case consecutiveFailures = "consecutive_failures", createdAt = "created_at"
    }

    /// Every key present, null when empty.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(mode, forKey: .mode)
        try c.encode(url, forKey: .url)
        try c.encode(description, forKey: .description)
        try c.encode(events, forKey: .events)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(disabledAt, forKey: .disabledAt)
        try c.encode(disabledReason, forKey: .disabledReason)
        try c.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try c.encode(createdAt, forKey: .createdAt)
    }

    var state: String { enabled ? (consecutiveFailures > 0 ? "enabled (\(consecutiveFailures) failed in a row)" : "enabled") : "disabled: \(disabledReason ?? "")" }

    static func printTable(_ views: [WebhookView]) {
        Output.printTable(["ID", "TENANT", "MODE", "URL", "EVENTS", "STATE"], views.map {
            [$0.id, $0.tenant, $0.mode, $0.url, $0.events.joined(separator: ","), $0.state]
        })
    }
}

/// A webhook id argument, checked before any side effect.
func webhookID(_ text: String, _ what: String = "ID") throws -> UUID {
    guard let id = UUID(uuidString: text) else { throw ValidationError("\(what) must be a UUID, as `hongbao webhook list` shows it") }
    return id
}

struct WebhookAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Register a webhook endpoint for a tenant (secret shown once; audited).",
        discussion: """
            The endpoint receives events of red packets sent with the tenant's keys of --mode \
            (live by default). Live endpoints must be https. The host must resolve to public \
            addresses only, unless HONGBAO_WEBHOOK_ALLOW_PRIVATE=1 or --allow-private (development).

            Examples:
              hongbao webhook add --tenant shop-a --url https://shop-a.example/hongbao/events
              hongbao webhook add --tenant shop-a --url http://127.0.0.1:9000/hook --mode test --allow-private --events redpack.sent --json
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Option(help: "The tenant (name or id).") var tenant: String
    @Option(help: "Where to POST events.") var url: String
    @Option(help: "Events to send, comma-separated (default: all).") var events: String?
    @Option(help: "live or test: which keys' red packets it hears about.") var mode: String = "live"
    @Option(help: "A note for people.") var description: String?
    @Flag(help: "Allow loopback and private targets (development only; also HONGBAO_WEBHOOK_ALLOW_PRIVATE=1).")
    var allowPrivate = false
    @Flag(help: "Print JSON: {\"endpoint\": {…}, \"secret\": \"whsec_…\"}.") var json = false

    var eventTypes: [WebhookEventType]? {
        get throws {
            guard let events else { return nil }
            let names = events.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if names == [WebhookEventType.all] { return nil }
            return try names.map { name in
                guard let type = WebhookEventType(rawValue: name) else {
                    throw ValidationError("unknown event \(name); events are \(WebhookEventType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return type
            }
        }
    }

    func validate() throws {
        guard MerchantMode(rawValue: mode) != nil else { throw ValidationError("--mode must be live or test") }
        if try eventTypes?.isEmpty == true { throw ValidationError("--events must name at least one event") }
        if let description, description.isEmpty || description.count > 256 { throw ValidationError("--description must be 1–256 characters") }
    }

    struct Created: Encodable {
        let endpoint: WebhookView
        let secret: String
    }

    func run() async throws {
        guard let sealer = try WebhookServeOptions.sealer() else { throw CLIError(WebhookServeOptions.sealerMissing) }
        let pool = try await database.connect()
        defer { pool.close() }
        let found = try await gateway { try await TenantStore(pool: pool).find(tenant) }
        let created = try await gateway {
            try await WebhookStore(pool: pool).add(tenant: found.id, mode: MerchantMode(rawValue: mode)!, url: url, events: try eventTypes,
                                                   description: description, targets: WebhookTargetGuard(allowPrivate: allowPrivate || WebhookServeOptions.allowPrivateFromEnvironment,
                                                                               audience: .operator),
                                                   sealer: sealer, actor: actor.actor)
        }
        let view = Created(endpoint: WebhookView(created.endpoint), secret: created.secret.text)
        if json { return try Output.printJSON(view) }
        print("webhook \(view.endpoint.id) for \(view.endpoint.tenant) (\(view.endpoint.mode)) → \(view.endpoint.url)")
        print("events: \(view.endpoint.events.joined(separator: ", "))")
        print("")
        print("    \(view.secret)")
        print("")
        print("The signing secret is shown this once; give it to the tenant now (docs/webhooks.md shows how to verify).")
    }
}

struct WebhookListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List webhook endpoints: state, and why one was disabled (never secrets).",
        discussion: "Examples:\n  hongbao webhook list\n  hongbao webhook list --tenant shop-a --json")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only this tenant's endpoints (name or id).") var tenant: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let views = try await gateway {
            var id: UUID?
            if let tenant { id = try await TenantStore(pool: pool).find(tenant).id }
            return try await WebhookStore(pool: pool).list(tenant: id).map(WebhookView.init)
        }
        if json { return try Output.printJSON(views) }
        WebhookView.printTable(views)
    }
}

struct WebhookRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a webhook endpoint; its pending deliveries are dropped (audited).",
        discussion: "Example:\n  hongbao webhook remove 6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "The endpoint's id.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func validate() throws { _ = try webhookID(id) }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        guard let removed = try await gateway({ try await WebhookStore(pool: pool).remove(try webhookID(id), actor: actor.actor) }) else {
            throw CLIError("webhook endpoint \(id) not found")
        }
        if json { return try Output.printJSON(WebhookView(removed)) }
        print("removed webhook \(removed.id.uuidString.lowercased()) of \(removed.tenantName) (\(removed.url))")
    }
}

struct WebhookEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable", abstract: "Enable an endpoint the gateway disabled; its pending deliveries resume (audited).",
        discussion: """
            Fix the receiver first: the failure count starts again from zero. Failed \
            deliveries are not resent unless you redeliver them.

            Example:
              hongbao webhook enable 6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "The endpoint's id.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func validate() throws { _ = try webhookID(id) }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let enabled = try await gateway { try await WebhookStore(pool: pool).enable(try webhookID(id), actor: actor.actor) }
        if json { return try Output.printJSON(WebhookView(enabled)) }
        print("enabled webhook \(enabled.id.uuidString.lowercased()) of \(enabled.tenantName)")
    }
}

struct WebhookRedeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redeliver", abstract: "Queue a delivery again, or every failed delivery of an endpoint (audited).",
        discussion: """
            A queued delivery is retried for another 24 hours. Find delivery ids with \
            `hongbao webhook deliveries ENDPOINT`.

            Examples:
              hongbao webhook redeliver 0d9e4b2c-5f3a-4c1e-8b7d-2a6f9e1c3b54
              hongbao webhook redeliver --endpoint 6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10 --failed
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "A delivery's id.") var delivery: String?
    @Option(help: "With --failed: the endpoint whose failed deliveries to queue again.") var endpoint: String?
    @Flag(help: "Every failed delivery of --endpoint.") var failed = false
    @Flag(help: "Print JSON: {\"queued\": N}.") var json = false

    func validate() throws {
        switch (delivery, endpoint, failed) {
        case (let delivery?, nil, false): _ = try webhookID(delivery, "the delivery id")
        case (nil, let endpoint?, true): _ = try webhookID(endpoint, "--endpoint")
        default: throw ValidationError("give a delivery id, or --endpoint ID --failed")
        }
    }

    struct Queued: Encodable { let queued: Int }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let store = WebhookStore(pool: pool)
        let count: Int
        if let delivery {
            _ = try await gateway { try await store.redeliver(delivery: try webhookID(delivery), actor: actor.actor) }
            count = 1
        } else {
            count = try await gateway { try await store.redeliverFailed(endpoint: try webhookID(endpoint ?? ""), actor: actor.actor) }
        }
        if json { return try Output.printJSON(Queued(queued: count)) }
        print("queued \(count) deliver\(count == 1 ? "y" : "ies") again")
        if let endpoint, let found = try await store.find(try webhookID(endpoint)), !found.enabled {
            print("note: the endpoint is disabled; nothing is sent until `hongbao webhook enable \(endpoint)`")
        }
    }
}

struct WebhookDeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "An endpoint's latest deliveries, with every attempt of each.",
        discussion: "Examples:\n  hongbao webhook deliveries 6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10 --state failed\n  hongbao webhook deliveries 6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10 --json")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The endpoint's id.") var endpoint: String
    @Option(help: "Only deliveries in this state: pending, delivered or failed.") var state: String?
    @Option(help: "How many, newest first.") var limit: Int = 20
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        _ = try webhookID(endpoint)
        if let state, WebhookDelivery.State(rawValue: state) == nil { throw ValidationError("--state must be pending, delivered or failed") }
        guard (1...500).contains(limit) else { throw ValidationError("--limit must be 1–500") }
    }

    struct AttemptView: Encodable {
        let number: Int
        let startedAt: String
        let durationMs: Int
        let address: String?
        let httpStatus: Int?
        let error: String?
        enum CodingKeys: String, CodingKey { case number, address, error, startedAt = "started_at", durationMs = "duration_ms", httpStatus = "http_status" }
    }

    struct DeliveryView: Encodable {
        let id: String
        let event: String
        let payoutID: String
        let state: String
        let attempts: [AttemptView]
        let createdAt: String
        let deliveredAt: String?
        let nextAttemptAt: String?
        enum CodingKeys: String, CodingKey {
            case id, event, state, attempts, payoutID = "payout_id", createdAt = "created_at", deliveredAt = "delivered_at", nextAttemptAt = "next_attempt_at"
        }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let store = WebhookStore(pool: pool)
        var views: [DeliveryView] = []
        for delivery in try await store.deliveries(endpoint: try webhookID(endpoint), state: state.flatMap(WebhookDelivery.State.init), limit: limit) {
            let attempts = try await store.attempts(delivery: delivery.id).map {
                AttemptView(number: $0.number, startedAt: $0.startedAt.formatted(.iso8601), durationMs: $0.durationMs, address: $0.address,
                            httpStatus: $0.httpStatus, error: $0.error)
            }
            views.append(DeliveryView(id: delivery.id.uuidString.lowercased(), event: delivery.event, payoutID: delivery.payoutID.uuidString.lowercased(),
                                      state: delivery.state.rawValue, attempts: attempts, createdAt: delivery.createdAt.formatted(.iso8601),
                                      deliveredAt: delivery.deliveredAt?.formatted(.iso8601),
                                      nextAttemptAt: delivery.state == .pending ? delivery.nextAttemptAt.formatted(.iso8601) : nil))
        }
        if json { return try Output.printJSON(views) }
        Output.printTable(["DELIVERY", "EVENT", "PAYOUT", "STATE", "ATTEMPTS", "LAST"], views.map { view in
            let last = view.attempts.last.map { $0.error ?? "HTTP \($0.httpStatus ?? 0)" } ?? "-"
            return [view.id, view.event, view.payoutID, view.state, String(view.attempts.count), last]
        })
    }
}

struct WebhookResealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reseal", abstract: "Seal every endpoint's signing secret under the current HONGBAO_KEK (audited).",
        discussion: """
            The step that lets an old key-encryption key go: with the new key in HONGBAO_KEK \
            and the old one in HONGBAO_KEK_PREVIOUS (on this command and on every serve), \
            reseal, then drop HONGBAO_KEK_PREVIOUS. Secrets stay the same for the tenants. \
            Exits 3 when a secret is under a key it was not given (listed; left as it is).

            Example:
              HONGBAO_KEK="$(cat new.kek)" HONGBAO_KEK_PREVIOUS="$(cat old.kek)" hongbao webhook reseal
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Flag(help: "Print JSON: {\"resealed\": N, \"current\": N, \"unreadable\": [ids]}.") var json = false

    func run() async throws {
        guard let sealer = try WebhookServeOptions.sealer() else { throw CLIError(WebhookServeOptions.sealerMissing) }
        let pool = try await database.connect()
        defer { pool.close() }
        let done = try await gateway { try await WebhookStore(pool: pool).reseal(sealer: sealer, actor: actor.actor) }
        if json {
            struct View: Encodable { let resealed: Int; let current: Int; let unreadable: [String] }
            try Output.printJSON(View(resealed: done.resealed, current: done.current, unreadable: done.unreadable.map { $0.uuidString.lowercased() }))
        } else {
            print("resealed \(done.resealed) endpoint secret\(done.resealed == 1 ? "" : "s") under key \(sealer.keyID); \(done.current) already were")
            for id in done.unreadable {
                FileHandle.standardError.write(Data("not resealed: \(id.uuidString.lowercased()) is under a key this run was not given (HONGBAO_KEK_PREVIOUS)\n".utf8))
            }
        }
        if !done.unreadable.isEmpty { throw ExitCode(3) }
    }
}
