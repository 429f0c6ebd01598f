import Crypto
import Foundation
import Transport

/// The Ed25519 key that signs audit checkpoints (`AuditCheckpoint`), kept outside the
/// database, and its file forms — the ones `openssl genpkey -algorithm ed25519` writes:
/// the private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`, mode 0600; looser files are
/// refused, as for every secret here), the public half as SubjectPublicKeyInfo PEM
/// (`BEGIN PUBLIC KEY`). Never printed: its description is its key id.
public struct AuditSigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The 32-byte seed (`Curve25519.Signing.PrivateKey` is not Sendable: one is made per signature).
    private let seed: [UInt8]
    public let publicKey: AuditPublicKey

    /// A new random key.
    public init() {
        let key = Curve25519.Signing.PrivateKey()
        self.seed = Array(key.rawRepresentation)
        self.publicKey = AuditPublicKey(raw: Array(key.publicKey.rawRepresentation))
    }

    init(seed: [UInt8]) throws {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        self.seed = seed
        self.publicKey = AuditPublicKey(raw: Array(key.publicKey.rawRepresentation))
    }

    /// Reads a private key file; refuses one its group or others may read, and says which
    /// file and what is wrong (never what is in it).
    public static func load(path: String) throws -> AuditSigningKey {
        let text: String
        do {
            text = try SecretReference.file(path).resolve(relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), environment: [:]).reveal()
        } catch {
            throw AuditError("audit_key_unreadable", "audit signing key: \(error.reason)")
        }
        guard let der = PEM.decode(text, label: "PRIVATE KEY"), der.count == PEM.pkcs8Ed25519Prefix.count + 32,
              der.starts(with: PEM.pkcs8Ed25519Prefix), let key = try? AuditSigningKey(seed: Array(der.suffix(32))) else {
            throw AuditError("audit_key_unreadable", "audit signing key \(path) is not an Ed25519 private key in PKCS#8 PEM form (BEGIN PRIVATE KEY); make one with `hongbao audit keygen`")
        }
        return key
    }

    /// The private key file's content. Written only by `hongbao audit keygen`, to a 0600 file.
    public var pem: String { PEM.encode(PEM.pkcs8Ed25519Prefix + seed, label: "PRIVATE KEY") }

    /// An Ed25519 signature (RFC 8032, 64 bytes) of `message`.
    func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(for: message))
    }

    public var description: String { "<audit signing key \(publicKey.keyID)>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// The public half of an `AuditSigningKey`: what checks a checkpoint's signature.
public struct AuditPublicKey: Sendable, Equatable {
    let raw: [UInt8]

    init(raw: [UInt8]) { self.raw = raw }

    /// Names the key in checkpoints and messages: the first 16 hex digits of SHA-256 of the
    /// raw 32-byte public key.
    public var keyID: String { Hex.encode(SHA256.hash(data: raw).prefix(8)) }

    /// The public key file's content.
    public var pem: String { PEM.encode(PEM.spkiEd25519Prefix + raw, label: "PUBLIC KEY") }

    public static func load(path: String) throws -> AuditPublicKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError("audit_key_unreadable", "cannot read the audit public key file \(path)")
        }
        guard let der = PEM.decode(String(decoding: data, as: UTF8.self), label: "PUBLIC KEY"), der.count == PEM.spkiEd25519Prefix.count + 32,
              der.starts(with: PEM.spkiEd25519Prefix), (try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32))) != nil else {
            throw AuditError("audit_key_unreadable", "\(path) is not an Ed25519 public key in PEM form (BEGIN PUBLIC KEY), as `hongbao audit keygen` writes it")
        }
        return AuditPublicKey(raw: Array(der.suffix(32)))
    }

    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// PEM armour for the two fixed-shape Ed25519 DER structures (RFC 8410): nothing else is read.
enum PEM {
    /// PrivateKeyInfo { version 0, AlgorithmIdentifier id-Ed25519 (1.3.101.112), OCTET STRING { OCTET STRING seed } }.
    static let pkcs8Ed25519Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    /// SubjectPublicKeyInfo { AlgorithmIdentifier id-Ed25519, BIT STRING key }.
    static let spkiEd25519Prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }

    /// The DER inside the one `label` block of `text`; nil when there is none or it is not base64.
    static func decode(_ text: String, label: String) -> [UInt8]? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN \(label)-----"),
              let end = lines[begin...].firstIndex(of: "-----END \(label)-----") else { return nil }
        return Data(base64Encoded: lines[(begin + 1)..<end].joined()).map(Array.init)
    }
}
