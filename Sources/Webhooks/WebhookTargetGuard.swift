import Logging
import Transport

/// Where a webhook may connect: it resolves the target's host and refuses it when any
/// address it resolves to is loopback, private, link-local, carrier-grade NAT, unique
/// local, unspecified, multicast or reserved (`ForbiddenAddress`) — unless the operator
/// allowed private targets. The answer is an `AddressPin`, so the delivery connects to the
/// address that was checked and a second DNS answer (rebinding) cannot redirect it.
/// Checked at registration and again before every attempt.
///
/// A refusal tells the tenant only that the host does not resolve to a public address:
/// not the address, not the range, not the resolver's error, and the same words whether
/// the name is unknown or private — else registering names would map the operator's
/// network. The specifics go to the operator's log (and the attempt's record).
/// Resolution has a deadline: a name server that never answers costs one attempt that
/// long, not a worker.
public struct WebhookTargetGuard: Sendable {
    /// How long registration waits for a host to resolve.
    public static let defaultResolutionDeadline: Duration = .seconds(5)

    /// Who reads a refusal from `check`.
    public enum Audience: Sendable {
        /// The tenant API: the short words; the specifics go to `logger`.
        case tenant
        /// The operator's CLI: the short words and the specifics, in one line.
        case `operator`
    }

    public let resolver: any HostResolver
    public let allowPrivate: Bool
    public let audience: Audience
    let logger: Logger

    public init(resolver: any HostResolver = SystemResolver(), allowPrivate: Bool, audience: Audience = .tenant,
                logger: Logger = Logger(label: "hongbao.webhooks")) {
        self.resolver = resolver
        self.allowPrivate = allowPrivate
        self.audience = audience
        self.logger = logger
    }

    /// Why a target is refused: what its tenant may be told, and what only the operator sees.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        /// For the tenant: never an address, a range or resolver text.
        public let message: String
        /// For the operator: the host, what it resolved to and why that is refused.
        public let detail: String

        public var description: String { message }
        /// `webhook_target_refused` with the tenant's message.
        public var error: WebhookError { WebhookError("webhook_target_refused", message) }

        static let notPublic = "the URL's host does not resolve to a public address; webhooks go only to public addresses"
        static let busy = "the URL's host could not be resolved just now; try again in a minute"
    }

    /// The address to connect to, or `webhook_target_refused` saying (to a tenant) why not;
    /// the specifics of a refusal are logged for the operator.
    public func check(_ target: WebhookTarget, within deadline: Duration = defaultResolutionDeadline) async throws -> AddressPin {
        switch await verdict(target, within: deadline) {
        case .success(let pin): return pin
        case .failure(let refusal) where audience == .operator:
            throw WebhookError("webhook_target_refused", "\(refusal.message): \(refusal.detail)")
        case .failure(let refusal):
            logger.notice("webhook target refused", metadata: ["host": "\(target.host)", "why": "\(refusal.detail)"])
            throw refusal.error
        }
    }

    /// The address to connect to, or why not, without logging (the dispatcher records it).
    public func verdict(_ target: WebhookTarget, within deadline: Duration) async -> Result<AddressPin, Refusal> {
        let host = target.host
        let resolver = self.resolver
        let lookup = Task { try await resolver.addresses(of: host) }
        let addresses: [String]
        switch await Deadline.value(of: lookup, before: .now + deadline) {
        case nil:
            // getaddrinfo cannot be stopped: its thread finishes on its own; a resolver that can stop, stops.
            lookup.cancel()
            return .failure(Refusal(message: Refusal.notPublic, detail: "\(host) did not resolve within \(deadline)"))
        case .failure(let error as WebhookError) where error.code == "resolver_busy":
            return .failure(Refusal(message: Refusal.busy, detail: error.message))
        case .failure(let error):
            return .failure(Refusal(message: Refusal.notPublic, detail: (error as? WebhookError)?.message ?? "\(host) does not resolve (\(error))"))
        case .success(let answer):
            addresses = answer
        }
        guard let first = addresses.first else { return .failure(Refusal(message: Refusal.notPublic, detail: "\(host) has no address")) }
        if !allowPrivate {
            for address in addresses {
                if let reason = ForbiddenAddress.reason(address) {
                    return .failure(Refusal(message: Refusal.notPublic, detail: "\(host) resolves to \(address), \(reason)"))
                }
            }
        }
        return .success(AddressPin(host: target.host, port: target.port, address: first))
    }
}
