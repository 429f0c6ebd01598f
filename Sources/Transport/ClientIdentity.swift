/// The TLS client identity of one merchant (its API certificate), plus trust roots.
public struct ClientIdentity: Sendable, CustomStringConvertible {
    /// Where PEM material comes from.
    public enum Source: Sendable, Equatable {
        case file(String)
        case pem([UInt8])
    }

    public enum SecretSource: Sendable {
        case file(String)
        case pem(Secret)
    }

    /// Operator-facing name (for logs and errors).
    public let name: String
    /// The client certificate and its private key; nil presents none (trust roots only).
    public let certificate: Source?
    /// The private key; kept as a `Secret` when in memory.
    public let privateKey: SecretSource?
    /// Extra trust roots (PEM file) added to the system store, e.g. the simulator's CA.
    public let extraTrustRootsFile: String?

    public init(name: String, certificate: Source, privateKey: SecretSource, extraTrustRootsFile: String? = nil) {
        self.name = name
        self.certificate = certificate
        self.privateKey = privateKey
        self.extraTrustRootsFile = extraTrustRootsFile
    }

    private init(name: String, extraTrustRootsFile: String?) {
        self.name = name
        self.certificate = nil
        self.privateKey = nil
        self.extraTrustRootsFile = extraTrustRootsFile
    }

    /// No client certificate, only extra trust roots (e.g. webhook receivers in tests).
    public static func trustOnly(name: String, extraTrustRootsFile: String) -> ClientIdentity {
        ClientIdentity(name: name, extraTrustRootsFile: extraTrustRootsFile)
    }

    public var description: String { "ClientIdentity(\(name))" }
}
