import Transport

/// Where a webhook may connect: it resolves the target's host and refuses it when any
/// address it resolves to is loopback, private, link-local, carrier-grade NAT, unique
/// local, unspecified, multicast or reserved (`ForbiddenAddress`) — unless the operator
/// allowed private targets. The answer is an `AddressPin`, so the delivery connects to the
/// address that was checked and a second DNS answer (rebinding) cannot redirect it.
/// Checked at registration and again before every attempt.
public struct WebhookTargetGuard: Sendable {
    public let resolver: any HostResolver
    public let allowPrivate: Bool

    public init(resolver: any HostResolver = SystemResolver(), allowPrivate: Bool) {
        self.resolver = resolver
        self.allowPrivate = allowPrivate
    }

    /// The address to connect to, or `webhook_target_refused` saying why not.
    public func check(_ target: WebhookTarget) async throws -> AddressPin {
        let addresses: [String]
        do { addresses = try await resolver.addresses(of: target.host) } catch let error as GatewayError {
            throw GatewayError("webhook_target_refused", error.message)
        }
        guard let first = addresses.first else { throw GatewayError("webhook_target_refused", "\(target.host) has no address") }
        if !allowPrivate {
            for address in addresses {
                if let reason = ForbiddenAddress.reason(address) {
                    throw GatewayError("webhook_target_refused",
                                       "\(target.host) resolves to \(address), \(reason); webhooks go only to public addresses")
                }
            }
        }
        return AddressPin(host: target.host, port: target.port, address: first)
    }
}
