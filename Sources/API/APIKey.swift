/// A tenant API key as presented: `hb_live_<32 base62>_<6 base62 checksum>` or
/// `hb_test_…`. Parsing checks the shape only; whoever issues keys owns the checksum
/// and the lookup (`APIKeyVerifier`).
public struct APIKey: Sendable, Hashable {
    public enum Mode: String, Sendable { case live, test }

    public let mode: Mode
    /// The whole key. Secret: never log it; store only its SHA-256.
    public let secret: String

    public init?(parsing text: String) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "hb", let mode = Mode(rawValue: String(parts[1])),
              parts[2].utf8.count == 32, parts[3].utf8.count == 6,
              parts[2].utf8.allSatisfy(Self.isBase62), parts[3].utf8.allSatisfy(Self.isBase62) else { return nil }
        self.mode = mode
        self.secret = text
    }

    /// What may be logged to identify the key: its mode and the first 4 random characters.
    public var displayPrefix: String { String(secret.prefix(12)) }

    static func isBase62(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): true
        default: false
        }
    }
}

/// Who is calling, as `APIKeyMiddleware` established it.
public struct AuthenticatedTenant: Sendable, Hashable {
    /// The tenant's id.
    public var id: String
    /// `test` keys reach only test-mode merchant entities, `live` keys only live ones.
    public var mode: APIKey.Mode
    /// The key's loggable prefix (`APIKey.displayPrefix`), for logs and audit records.
    public var keyPrefix: String

    public init(id: String, mode: APIKey.Mode, keyPrefix: String) {
        self.id = id
        self.mode = mode
        self.keyPrefix = keyPrefix
    }
}

/// Looks an API key up (by its SHA-256, in the real implementation): the seam between
/// the HTTP layer and the tenant/key store.
public protocol APIKeyVerifier: Sendable {
    /// The key's standing. Throw (e.g. `Problem(.unavailable)`) only when the store
    /// cannot answer.
    func verify(_ key: APIKey) async throws -> APIKeyVerdict
}

public enum APIKeyVerdict: Sendable, Equatable {
    case valid(AuthenticatedTenant)
    case unknown
    case expired
    case revoked
}
