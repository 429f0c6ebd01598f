import ArgumentParser
import Foundation
import Payouts
import Webhooks

/// `serve`'s webhook dispatcher settings: flags, else HONGBAO_WEBHOOK_* variables, else defaults.
struct WebhookServeOptions: ParsableArguments {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    @Option(help: ArgumentHelp("Seconds between looks for due webhook deliveries when no NOTIFY woke the dispatcher.", valueName: "seconds"))
    var webhookPollSeconds: Int = Int(Self.environment["HONGBAO_WEBHOOK_POLL_SECONDS"] ?? "") ?? 5
    @Option(help: ArgumentHelp("Webhook deliveries in flight at once.", valueName: "n"))
    var webhookConcurrency: Int = Int(Self.environment["HONGBAO_WEBHOOK_CONCURRENCY"] ?? "") ?? 8
    @Option(help: ArgumentHelp("Webhook attempts in flight at once to one endpoint (across every instance); default half the tenant's.",
                               valueName: "n"))
    var webhookEndpointConcurrency: Int?
    @Option(help: ArgumentHelp("Webhook attempts in flight at once for one tenant (across every instance); default a quarter of --webhook-concurrency.",
                               valueName: "n"))
    var webhookTenantConcurrency: Int?
    @Option(help: ArgumentHelp("Timeout of one webhook delivery attempt (resolving the host included), in milliseconds.", valueName: "ms"))
    var webhookTimeoutMs: Int = Int(Self.environment["HONGBAO_WEBHOOK_TIMEOUT_MS"] ?? "") ?? 10_000
    @Option(help: ArgumentHelp("Disable an endpoint after this many failed attempts in a row …", valueName: "n"))
    var webhookDisableAfterFailures: Int = Int(Self.environment["HONGBAO_WEBHOOK_DISABLE_AFTER_FAILURES"] ?? "") ?? 10
    @Option(help: ArgumentHelp("… spanning at least this many hours (0: at once).", valueName: "hours"))
    var webhookDisableAfterHours: Int = Int(Self.environment["HONGBAO_WEBHOOK_DISABLE_AFTER_HOURS"] ?? "") ?? 24
    @Flag(help: "Let webhook endpoints reach loopback, private and other non-public addresses (development only; also HONGBAO_WEBHOOK_ALLOW_PRIVATE=1).")
    var webhookAllowPrivate = false

    /// The key-encryption key webhook signing secrets are sealed with in the database
    /// (HONGBAO_KEK, 32 bytes in base64); nil when it is not set.
    static func sealer() throws -> SecretSealer? {
        do { return try SecretSealer.fromEnvironment(environment) } catch let error as WebhookError { throw CLIError(error.message) }
    }

    /// What to do when HONGBAO_KEK is missing, for the commands that need it.
    static let sealerMissing = "\(SecretSealer.environmentVariable) is not set: webhook signing secrets are sealed in the database with this key-encryption key "
        + "(32 random bytes in base64, e.g. `openssl rand -base64 32`; the same value every `hongbao serve` has; make run keeps one in .hongbao/kek)"

    /// HONGBAO_WEBHOOK_ALLOW_PRIVATE=1 (or true/yes).
    static var allowPrivateFromEnvironment: Bool { ["1", "true", "yes"].contains(environment["HONGBAO_WEBHOOK_ALLOW_PRIVATE"]?.lowercased() ?? "") }

    /// The caps, from the flags, else HONGBAO_WEBHOOK_{ENDPOINT,TENANT}_CONCURRENCY; nil: derived (`WebhookSettings`).
    /// (An optional option cannot carry a default value, so the variables are read here.)
    var endpointConcurrency: Int? { webhookEndpointConcurrency ?? Self.environment["HONGBAO_WEBHOOK_ENDPOINT_CONCURRENCY"].flatMap { Int($0) } }
    var tenantConcurrency: Int? { webhookTenantConcurrency ?? Self.environment["HONGBAO_WEBHOOK_TENANT_CONCURRENCY"].flatMap { Int($0) } }

    func validate() throws {
        guard (1...3600).contains(webhookPollSeconds) else { throw ValidationError("--webhook-poll-seconds must be between 1 and 3600") }
        guard (1...256).contains(webhookConcurrency) else { throw ValidationError("--webhook-concurrency must be between 1 and 256") }
        if let endpointConcurrency, !(1...256).contains(endpointConcurrency) {
            throw ValidationError("--webhook-endpoint-concurrency must be between 1 and 256")
        }
        if let tenantConcurrency, !(1...256).contains(tenantConcurrency) {
            throw ValidationError("--webhook-tenant-concurrency must be between 1 and 256")
        }
        guard (100...60_000).contains(webhookTimeoutMs) else { throw ValidationError("--webhook-timeout-ms must be between 100 and 60000") }
        guard (1...10_000).contains(webhookDisableAfterFailures) else { throw ValidationError("--webhook-disable-after-failures must be between 1 and 10000") }
        guard (0...720).contains(webhookDisableAfterHours) else { throw ValidationError("--webhook-disable-after-hours must be between 0 and 720") }
    }

    var settings: WebhookSettings {
        WebhookSettings(pollInterval: .seconds(webhookPollSeconds), concurrency: webhookConcurrency, timeout: .milliseconds(webhookTimeoutMs),
                        endpointConcurrency: endpointConcurrency, tenantConcurrency: tenantConcurrency,
                        allowPrivateTargets: webhookAllowPrivate || Self.allowPrivateFromEnvironment, disableAfterFailures: webhookDisableAfterFailures,
                        disableAfterFailingFor: .seconds(webhookDisableAfterHours * 3600))
    }
}
