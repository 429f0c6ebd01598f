import Crypto
import Foundation

/// Seals the secrets the database must hold (webhook signing secrets: signing needs the
/// secret itself, so it cannot be a hash) with AES-256-GCM under a key-encryption key that
/// lives only in the environment, `HONGBAO_KEK` (DESIGN §3: never in the database in clear).
/// A copy of the database alone signs nothing.
///
/// A sealed value is `01 | key id (4) | nonce (12) | ciphertext | tag (16)`:
/// - the key id (the first 4 bytes of SHA-256 of the key) names the key that sealed it, so
///   a wrong key is reported as "sealed under another key", and keys can be replaced:
///   `HONGBAO_KEK_PREVIOUS` (comma-separated) opens values sealed under earlier keys, and
///   `hongbao webhook reseal` moves them to the current one;
/// - the associated data is the header plus what the value belongs to (`context`, e.g. the
///   endpoint's id), so a sealed value copied onto another row, or with its header
///   changed, does not open.
public struct SecretSealer: Sendable {
    public static let environmentVariable = "HONGBAO_KEK"
    public static let previousEnvironmentVariable = "HONGBAO_KEK_PREVIOUS"
    static let version: UInt8 = 1
    static let keyIDLength = 4
    static let headerLength = 1 + keyIDLength
    static let nonceLength = 12
    static let tagLength = 16

    /// One key: its bytes (`SymmetricKey` is not Sendable; one is made per call, which is
    /// cheap) and its id.
    struct Key: Sendable {
        let bytes: [UInt8]
        let id: [UInt8]

        init(base64: String, variable: String) throws {
            guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
                throw WebhookError("invalid_kek", "\(variable) must be 32 random bytes in base64 (make one with `openssl rand -base64 32`)")
            }
            self.bytes = Array(bytes)
            id = Array(SHA256.hash(data: bytes).prefix(SecretSealer.keyIDLength))
        }

        var symmetric: SymmetricKey { SymmetricKey(data: bytes) }
    }

    private let current: Key
    private let previous: [Key]

    /// `base64`: 32 random bytes, base64-encoded (`openssl rand -base64 32`); `previous`:
    /// earlier keys, only for opening.
    public init(base64: String, previous: [String] = []) throws {
        current = try Key(base64: base64, variable: Self.environmentVariable)
        self.previous = try previous.map { try Key(base64: $0, variable: Self.previousEnvironmentVariable) }
    }

    /// Which key seals (hex); not secret.
    public var keyID: String { Self.hex(current.id) }

    /// The sealer `HONGBAO_KEK` (and `HONGBAO_KEK_PREVIOUS`) name; nil when HONGBAO_KEK is
    /// not set (the caller says what that turns off), an error when a value is not a key.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretSealer? {
        let previous = (environment[previousEnvironmentVariable] ?? "").split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard let value = environment[environmentVariable], !value.isEmpty else {
            if !previous.isEmpty { throw WebhookError("invalid_kek", "\(previousEnvironmentVariable) is set without \(environmentVariable)") }
            return nil
        }
        return try SecretSealer(base64: value, previous: previous)
    }

    public func seal(_ plaintext: String, context: String) throws -> [UInt8] {
        let header = [Self.version] + current.id
        let box = try AES.GCM.seal(Array(plaintext.utf8), using: current.symmetric, nonce: AES.GCM.Nonce(),
                                   authenticating: header + Array(context.utf8))
        return header + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    public func open(_ sealed: [UInt8], context: String) throws -> String {
        guard sealed.count >= Self.headerLength + Self.nonceLength + Self.tagLength, sealed[0] == Self.version else {
            throw WebhookError("sealed_secret_unreadable", "the sealed secret is not in a format this version reads")
        }
        let id = Array(sealed[1..<Self.headerLength])
        guard let key = ([current] + previous).first(where: { $0.id == id }) else {
            let known = ([current] + previous).map { Self.hex($0.id) }.joined(separator: ", ")
            throw WebhookError("sealed_secret_other_key",
                               "the secret was sealed under another key-encryption key (id \(Self.hex(id)); this instance has \(known))")
        }
        let nonceEnd = Self.headerLength + Self.nonceLength
        let tagStart = sealed.count - Self.tagLength
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: sealed[Self.headerLength..<nonceEnd]), ciphertext: sealed[nonceEnd..<tagStart],
                                            tag: sealed[tagStart...])
            let plaintext = try AES.GCM.open(box, using: key.symmetric, authenticating: Array(sealed[0..<Self.headerLength]) + Array(context.utf8))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw WebhookError("sealed_secret_unreadable", "the sealed secret does not open under its key for this record (altered or moved)")
        }
    }

    /// The ids (hex) of every key this sealer opens with: the current one first.
    public var knownKeyIDs: [String] { ([current] + previous).map { Self.hex($0.id) } }

    /// Whether `sealed` is under the key this sealer seals with (false: reseal it).
    public func isCurrent(_ sealed: [UInt8]) -> Bool { Self.keyID(of: sealed) == keyID }

    /// The id (hex) of the key that sealed `sealed`; nil when it is too short to say.
    public static func keyID(of sealed: [UInt8]) -> String? {
        sealed.count > headerLength ? hex(Array(sealed[1..<headerLength])) : nil
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
