/// The TLS client identity of one merchant (its API certificate), plus trust roots.
public struct ClientIdentity: Sendable, CustomStringConvertible {
    /// Where PEM material comes from.
    public enum Source: Sendable, Equatable {
        case file(String)
        case pem([UInt8])
    }

    /// Operator-facing name (for logs and errors).
    public let name: String
    public let certificate: Source
    /// The private key; kept as a `Secret` when in memory.
    public let privateKey: SecretSource
    /// Extra trust roots (PEM file) added to the system store, e.g. the simulator's CA.
    public let extraTrustRootsFile: String?

    public enum SecretSource: Sendable {
        case file(String)
        case pem(Secret)
    }

    public init(name: String, certificate: Source, privateKey: SecretSource, extraTrustRootsFile: String? = nil) {
        self.name = name
        self.certificate = certificate
        self.privateKey = privateKey
        self.extraTrustRootsFile = extraTrustRootsFile
    }

    public var description: String { "ClientIdentity(\(name))" }
}
