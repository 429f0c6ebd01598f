import ArgumentParser
import Audit
import Foundation
import Payouts
import NIOPosix
import Postgres

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, follow or anchor the hash-chained audit trail.",
        discussion: """
            Every money state change and every admin action is a record in a SHA-256 chain \
            (hash = H(prev_hash ‖ record)): one chain for admin actions, 16 per tenant for payouts. \
            Signed checkpoints of every chain's head (Ed25519, a key the database never sees) \
            anchor the chains outside the database, so that even the database owner cannot \
            remove or re-chain records undetected (docs/operations.md).

            Examples:
              hongbao audit verify
              hongbao audit tail --follow
              hongbao audit keygen --private-key audit-signing.pem --public-key audit-signing.pub.pem
              hongbao audit checkpoint --signing-key audit-signing.pem --out checkpoint.json
              hongbao audit verify --checkpoint checkpoint.json --public-key audit-signing.pub.pem
            """,
        subcommands: [AuditVerifyCommand.self, AuditTailCommand.self, AuditKeygenCommand.self, AuditCheckpointCommand.self]
    )
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Re-derive every link; exit 0 when all chains verify, else 1 naming the first broken record.",
        discussion: """
            Reads every chain in one snapshot of the database. With --checkpoint (a file from \
            `hongbao audit checkpoint` or `serve --audit-checkpoint-dir`) and --public-key, it \
            first checks the checkpoint's signature, then also holds every chain the checkpoint \
            names to the seq and hash signed there: a record at or before the checkpoint that \
            was changed, removed or re-chained, or a chain that is gone, is a broken record.

            Exit codes: 0 every chain verifies (and holds to the checkpoint); 1 a record is \
            broken (changed, missing, a chain's head does not match its last record, or the \
            chains no longer reach what the checkpoint signed); 2 the checkpoint cannot be \
            trusted or read (its signature does not verify with the public key, it or the key \
            cannot be read, or it is not a checkpoint): nothing was verified; other codes: could \
            not check.

            Examples:
              hongbao audit verify
              hongbao audit verify --checkpoint /mnt/worm/audit-checkpoint-20250601T080000.000Z-1a2b3c4d.json --public-key audit-signing.pub.pem
            """)

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false
    @Option(help: ArgumentHelp("A signed checkpoint to hold the chains to (with --public-key).", valueName: "file")) var checkpoint: String?
    @Option(help: ArgumentHelp("The public key (PEM) that signed the checkpoint, from `hongbao audit keygen`.", valueName: "file")) var publicKey: String?

    func validate() throws {
        guard (checkpoint == nil) == (publicKey == nil) else { throw ValidationError("--checkpoint and --public-key go together: give both, or neither") }
    }

    func run() async throws {
        let anchor = try await signedCheckpoint()
        let pool = try await database.connect()
        defer { pool.close() }
        let report = try await AuditVerifier(pool: pool).verify(against: anchor)
        if json {
            try Output.printJSON(report)
        } else if let broken = report.broken {
            FileHandle.standardError.write(Data("broken: chain \(broken.chain) seq \(broken.seq)\(broken.id.map { " (audit_log id \($0))" } ?? ""): \(broken.reason)\n".utf8))
        } else if let anchor {
            print("ok: \(report.records) records in \(report.chains) chains verify and hold to the checkpoint of \(anchor.createdAt) "
                  + "(\(anchor.chains.count) chains, key \(anchor.keyID))")
        } else {
            print("ok: \(report.records) records in \(report.chains) chains verify")
        }
        if report.broken != nil { throw ExitCode(1) }
    }

    /// The checkpoint, once its signature is proven; exit 2 (with the reason on stderr) when
    /// it cannot be read or trusted.
    func signedCheckpoint() async throws -> AuditCheckpoint? {
        guard let checkpoint, let publicKey else { return nil }
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                guard let data = FileManager.default.contents(atPath: checkpoint) else {
                    throw AuditError("audit_checkpoint_unreadable", "cannot read the checkpoint file \(checkpoint)")
                }
                let anchor = try AuditCheckpoint(document: data)
                try anchor.checkSignature(with: try AuditPublicKey.load(path: publicKey))
                return anchor
            }
        } catch let error as AuditError {
            let verdict = error.code == "audit_checkpoint_signature" ? "is not trusted" : "cannot be checked"
            FileHandle.standardError.write(Data("checkpoint \(checkpoint) \(verdict): \(error.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct AuditTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail", abstract: "Print the latest audit records; --follow keeps printing new ones.",
        discussion: """
            Examples:
              hongbao audit tail -n 50
              hongbao audit tail --follow --json
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(name: [.customShort("n"), .long], help: "How many of the latest records to print first.") var lines = 20
    @Flag(help: "Keep printing records as they are written (Ctrl-C stops).") var follow = false
    @Flag(help: "One JSON object per line.") var json = false

    func validate() throws {
        if !(0...10_000).contains(lines) { throw ValidationError("-n must be 0–10000") }
    }

    struct Record: Encodable {
        let id: Int64
        let chain: String
        let seq: Int64
        let occurredAt: String
        let actor: String
        let action: String
        let tenantId: String?
        let merchant: String?
        let payoutId: String?
        let requestId: String?
        let detail: String

        enum CodingKeys: String, CodingKey {
            case id, chain, seq, actor, action, merchant, detail
            case occurredAt = "occurred_at", tenantId = "tenant_id", payoutId = "payout_id", requestId = "request_id"
        }
    }

    func run() async throws {
        let pool = try await database.connect()
        defer { pool.close() }
        let records = AuditRecords(pool: pool)
        var last = try await records.lastID()
        for record in try await records.after(max(0, last - Int64(lines))) { try emit(record) }
        guard follow else { return }
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(500))
            let batch = try await records.after(last, limit: 1000)
            for record in batch { try emit(record) }
            if let tail = batch.last { last = tail.id }
        }
    }

    func emit(_ r: AuditRecord) throws {
        let (chain, seq, merchant, payout, detail) = (r.chain, r.seq, r.merchant, r.payoutID, r.detail)
        let record = Record(id: r.id, chain: chain, seq: seq, occurredAt: r.occurredAt.formatted(.iso8601), actor: r.actor, action: r.action,
                            tenantId: r.tenantID, merchant: merchant, payoutId: payout, requestId: r.requestID, detail: detail)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(record), as: UTF8.self))
        } else {
            let subject = [merchant.map { "merchant=\($0)" }, payout.map { "payout=\($0)" }].compactMap { $0 }.joined(separator: " ")
            print("\(record.occurredAt)  \(chain)#\(seq)  \(r.actor)  \(r.action)  \(subject)  \(detail)")
        }
    }
}
