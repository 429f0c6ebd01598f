import Crypto
import Foundation

/// Seals the secrets the database must hold (webhook signing secrets: signing needs the
/// secret itself, so it cannot be a hash) with AES-256-GCM under a key-encryption key that
/// lives only in the environment, `HONGBAO_KEK` (DESIGN §3: never in the database in clear).
/// A copy of the database alone signs nothing.
///
/// A sealed value is `01 | key id (4) | nonce (12) | ciphertext | tag (16)`:
/// - the key id (the first 4 bytes of SHA-256 of the key) lets a wrong key be reported as
///   "sealed under another key" instead of as corruption;
/// - the associated data names what the value belongs to (`context`, e.g. the endpoint's
///   id), so a sealed value copied onto another row does not open there.
public struct SecretSealer: Sendable {
    public static let environmentVariable = "HONGBAO_KEK"
    static let version: UInt8 = 1
    static let keyIDLength = 4
    static let nonceLength = 12
    static let tagLength = 16

    /// The key's bytes (`SymmetricKey` is not Sendable; one is made per call, which is cheap).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// Which key sealed a value (hex); not secret.
    public let keyID: String
    private let keyIDBytes: [UInt8]

    /// `base64`: 32 random bytes, base64-encoded (`openssl rand -base64 32`).
    public init(base64: String) throws {
        guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw GatewayError("invalid_kek", "\(Self.environmentVariable) must be 32 random bytes in base64 (make one with `openssl rand -base64 32`)")
        }
        keyBytes = Array(bytes)
        keyIDBytes = Array(SHA256.hash(data: bytes).prefix(Self.keyIDLength))
        keyID = keyIDBytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The sealer `HONGBAO_KEK` names; nil when it is not set (the caller says what that
    /// turns off), an error when it is set but not a key.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SecretSealer? {
        guard let value = environment[environmentVariable], !value.isEmpty else { return nil }
        return try SecretSealer(base64: value)
    }

    public func seal(_ plaintext: String, context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(Array(plaintext.utf8), using: key, nonce: AES.GCM.Nonce(), authenticating: Array(context.utf8))
        return [Self.version] + keyIDBytes + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    public func open(_ sealed: [UInt8], context: String) throws -> String {
        let header = 1 + Self.keyIDLength
        guard sealed.count >= header + Self.nonceLength + Self.tagLength, sealed[0] == Self.version else {
            throw GatewayError("sealed_secret_unreadable", "the sealed secret is not in a format this version reads")
        }
        guard Array(sealed[1..<header]) == keyIDBytes else {
            let other = sealed[1..<header].map { String(format: "%02x", $0) }.joined()
            throw GatewayError("sealed_secret_other_key",
                               "the secret was sealed under another key-encryption key (id \(other); \(Self.environmentVariable) is \(keyID))")
        }
        let nonceEnd = header + Self.nonceLength
        let tagStart = sealed.count - Self.tagLength
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: sealed[header..<nonceEnd]), ciphertext: sealed[nonceEnd..<tagStart],
                                            tag: sealed[tagStart...])
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Array(context.utf8))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw GatewayError("sealed_secret_unreadable", "the sealed secret does not open under this key for this record (altered or moved)")
        }
    }
}
