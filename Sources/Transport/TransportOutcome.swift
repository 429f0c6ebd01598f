/// Where one HTTPS call ended.
public enum TransportOutcome: Sendable, Equatable {
    /// The server answered (any status); `body` is complete.
    case response(status: Int, body: [UInt8])
    /// Nothing reached the server: connection, DNS or TLS handshake failed first.
    case notSent(reason: String)
    /// The request may have been received and acted on; the answer is missing or cut.
    case unknown(reason: String)
}

/// Settings shared by every call of one client.
public struct TransportSettings: Sendable {
    public var connectTimeout: Duration
    /// Whole call, connect included.
    public var totalTimeout: Duration
    public var userAgent: String
    /// Largest answer accepted; a bigger one is cut and reported `unknown`.
    public var maximumResponseBytes: Int
    /// Cached keep-alive connections across all identities.
    public var maximumCachedConnections: Int

    public init(connectTimeout: Duration = .seconds(3), totalTimeout: Duration = .seconds(10), userAgent: String = "hongbao/0.1",
                maximumResponseBytes: Int = 1 << 20, maximumCachedConnections: Int = 512) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.userAgent = userAgent
        self.maximumResponseBytes = maximumResponseBytes
        self.maximumCachedConnections = maximumCachedConnections
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
