import Foundation
import Postgres

/// A signed statement of every audit chain's head — (chain, seq, hash) — at one moment,
/// made with an `AuditSigningKey` the database never sees and kept in write-once storage.
/// A chain verifies against it only if the record at that seq still has that hash: since
/// each hash covers every record before it, a record at or before the checkpoint that was
/// changed, removed or re-chained (even with every later hash recomputed and the head
/// rewritten to match) no longer does, and a chain that was removed is missing.
///
/// The file is JSON (`document`):
///
///     { "format": "hongbao.audit.checkpoint", "version": 1,
///       "created_at": "2025-06-01T08:00:00.123Z", "key_id": "<16 hex digits>",
///       "chains": [ { "chain": "admin", "seq": 42, "hash": "<64 hex digits>" }, … ],
///       "signature": "<base64 of the 64-byte Ed25519 signature>" }
///
/// The signature is over `signedBytes`, a text rebuilt from those fields (the JSON's own
/// spacing, key order and escapes are not signed), UTF-8 with "\n" after every line:
///
///     hongbao.audit.checkpoint v1
///     key_id <key_id>
///     created_at <created_at>
///     chains <number of chains>
///     <UTF-8 byte length of the chain name>:<chain name> <seq> <hash, lowercase hex>   (one line per chain)
///
/// chains sorted by the bytes of their UTF-8 names. docs/operations.md shows how to check
/// one with openssl alone.
public struct AuditCheckpoint: Sendable, Equatable {
    /// One chain's head as signed.
    public struct Head: Sendable, Equatable {
        public let chain: String
        public let seq: Int64
        /// SHA-256 of the record at `seq` (32 bytes).
        public let hash: [UInt8]

        public init(chain: String, seq: Int64, hash: [UInt8]) {
            self.chain = chain
            self.seq = seq
            self.hash = hash
        }
    }

    public static let format = "hongbao.audit.checkpoint"
    public static let version = 1

    /// When it was made, RFC 3339 in UTC with milliseconds, exactly as signed.
    public let createdAt: String
    /// The signing key's id (`AuditPublicKey.keyID`).
    public let keyID: String
    /// In signing order (by UTF-8 bytes of the name), one per chain.
    public let chains: [Head]
    public let signature: [UInt8]

    /// Signs `heads` (in any order; a chain may appear once).
    public init(heads: [Head], at date: Date = Date(), key: AuditSigningKey) throws {
        precondition(Set(heads.map(\.chain)).count == heads.count, "one head per chain")
        let createdAt = date.formatted(Self.timeStyle), keyID = key.publicKey.keyID, chains = Self.signingOrder(heads)
        self.init(createdAt: createdAt, keyID: keyID, chains: chains,
                  signature: try key.sign(Self.signedBytes(createdAt: createdAt, keyID: keyID, chains: chains)))
    }

    /// RFC 3339 in UTC with milliseconds: 2025-06-01T08:00:00.123Z.
    static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Signs every chain's head as one snapshot of the database shows it, dated by the
    /// database's clock.
    public static func take(from pool: PostgresPool, key: AuditSigningKey) async throws -> AuditCheckpoint {
        let (at, heads) = try await AuditVerifier(pool: pool).heads()
        return try AuditCheckpoint(heads: heads, at: at, key: key)
    }

    init(createdAt: String, keyID: String, chains: [Head], signature: [UInt8]) {
        self.createdAt = createdAt
        self.keyID = keyID
        self.chains = chains
        self.signature = signature
    }

    static func signingOrder(_ heads: [Head]) -> [Head] {
        heads.sorted { Array($0.chain.utf8).lexicographicallyPrecedes(Array($1.chain.utf8)) }
    }

    /// The exact bytes the signature covers (see the type's comment).
    static func signedBytes(createdAt: String, keyID: String, chains: [Head]) -> [UInt8] {
        var text = "\(format) v\(version)\nkey_id \(keyID)\ncreated_at \(createdAt)\nchains \(chains.count)\n"
        for head in chains {
            text += "\(head.chain.utf8.count):\(head.chain) \(head.seq) \(Hex.encode(head.hash))\n"
        }
        return Array(text.utf8)
    }

    /// Throws unless `publicKey` is the key that signed this checkpoint and the signature
    /// covers exactly these heads.
    public func checkSignature(with publicKey: AuditPublicKey) throws {
        guard publicKey.keyID == keyID else {
            throw AuditError("audit_checkpoint_signature", "the checkpoint says it was signed by key \(keyID), not by the given public key \(publicKey.keyID)")
        }
        guard publicKey.isValidSignature(signature, for: Self.signedBytes(createdAt: createdAt, keyID: keyID, chains: chains)) else {
            throw AuditError("audit_checkpoint_signature",
                               "the checkpoint's signature is invalid for key \(keyID): the file was changed after it was signed (or is not a checkpoint of this key)")
        }
    }
}

extension AuditCheckpoint {
    /// The JSON file form.
    struct Document: Codable {
        let format: String
        let version: Int
        let createdAt: String
        let keyID: String
        let chains: [Chain]
        let signature: String

        struct Chain: Codable {
            let chain: String
            let seq: Int64
            let hash: String
        }

        enum CodingKeys: String, CodingKey { case format, version, chains, signature, createdAt = "created_at", keyID = "key_id" }
    }

    /// Pretty, sorted-key JSON with a final newline: what goes to a file or stdout.
    public var document: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(format: Self.format, version: Self.version, createdAt: createdAt, keyID: keyID,
                                chains: chains.map { Document.Chain(chain: $0.chain, seq: $0.seq, hash: Hex.encode($0.hash)) },
                                signature: Data(signature).base64EncodedString())
        return (try! encoder.encode(document)) + Data("\n".utf8) // a Codable struct of strings and integers always encodes
    }

    /// Reads a checkpoint file's content, refusing anything that is not exactly the form
    /// above (the signature is checked separately, with `checkSignature`).
    public init(document data: Data) throws {
        func unreadable(_ why: String) -> AuditError { AuditError("audit_checkpoint_unreadable", "not an audit checkpoint: \(why)") }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: data) } catch { throw unreadable("\(error)") }
        guard document.format == Self.format else { throw unreadable("format is \"\(document.format)\", not \"\(Self.format)\"") }
        guard document.version == Self.version else { throw unreadable("version \(document.version) is not supported (this hongbao reads version \(Self.version))") }
        guard (try? Self.timeStyle.parse(document.createdAt)) != nil else { throw unreadable("created_at \"\(document.createdAt)\" is not an RFC 3339 UTC time with milliseconds") }
        guard document.keyID.count == 16, Hex.decode(document.keyID) != nil else { throw unreadable("key_id is not 16 hex digits") }
        var heads: [Head] = []
        for chain in document.chains {
            guard !chain.chain.isEmpty, chain.seq >= 1, let hash = Hex.decode(chain.hash), hash.count == 32 else {
                throw unreadable("chain \"\(chain.chain)\": a name, a seq ≥ 1 and a 64-digit hex hash are required")
            }
            heads.append(Head(chain: chain.chain, seq: chain.seq, hash: hash))
        }
        guard Set(heads.map(\.chain)).count == heads.count else { throw unreadable("a chain is listed twice") }
        guard let signature = Data(base64Encoded: document.signature), signature.count == 64 else {
            throw unreadable("signature is not 64 bytes in base64")
        }
        self.init(createdAt: document.createdAt, keyID: document.keyID, chains: Self.signingOrder(heads), signature: Array(signature))
    }
}
