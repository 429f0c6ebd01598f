/// Connect to `address`:`port` whatever host the URL names (libcurl's CURLOPT_CONNECT_TO
/// with an empty host and port, so it applies even where curl would parse the URL's host
/// differently from the caller): the caller resolved and checked the address, and a DNS
/// answer that changes in between (rebinding) cannot redirect the connection. TLS still
/// verifies the certificate against the URL's host, and `Host:` stays that host.
public struct AddressPin: Sendable, Equatable {
    /// The host the address was resolved for (for messages; the pin applies to any host).
    public let host: String
    public let port: Int
    /// A numeric IPv4 or IPv6 address (without brackets).
    public let address: String

    public init(host: String, port: Int, address: String) {
        self.host = host
        self.port = port
        self.address = address
    }

    /// The CURLOPT_CONNECT_TO entry `::ADDRESS:PORT` (any host, any port → there), IPv6 in brackets.
    var curlConnectToEntry: String {
        "::" + (address.contains(":") ? "[\(address)]" : address) + ":\(port)"
    }
}
