/// Connect to `host:port` at `address` instead of resolving `host` again (libcurl's
/// CURLOPT_RESOLVE): the caller resolved and checked the address, and pinning it means the
/// connection goes exactly there — a DNS answer that changes in between (rebinding) cannot
/// redirect it. TLS still verifies the certificate against `host`, and `Host:` stays `host`.
public struct AddressPin: Sendable, Equatable {
    public let host: String
    public let port: Int
    /// A numeric IPv4 or IPv6 address (without brackets).
    public let address: String

    public init(host: String, port: Int, address: String) {
        self.host = host
        self.port = port
        self.address = address
    }

    /// The CURLOPT_RESOLVE entry: `HOST:PORT:ADDRESS`, IPv6 addresses in brackets.
    var curlResolveEntry: String {
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let shownHost = bareHost.contains(":") ? "[\(bareHost)]" : bareHost
        return "\(shownHost):\(port):" + (address.contains(":") ? "[\(address)]" : address)
    }
}
