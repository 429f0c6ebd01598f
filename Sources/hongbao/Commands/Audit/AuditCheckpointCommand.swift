import ArgumentParser
import Audit
import Foundation
import Payouts
import NIOPosix

struct AuditCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Sign every audit chain's head (chain, seq, hash) with the checkpoint key, as JSON.",
        discussion: """
            Reads every chain's head in one snapshot of the database and signs them with the \
            Ed25519 key from `hongbao audit keygen` (a key the database never sees). Keep each \
            checkpoint in write-once storage: `hongbao audit verify --checkpoint FILE \
            --public-key FILE` later proves that no record at or before it was changed, removed \
            or re-chained, by anyone, the database owner included. The JSON goes to stdout, or \
            to --out (a new file, mode 0444; an existing one is never overwritten). `serve \
            --audit-checkpoint-dir` writes one on an interval. Format: docs/operations.md.

            Examples:
              hongbao audit checkpoint --signing-key /etc/hongbao/audit-signing.pem > checkpoint.json
              hongbao audit checkpoint --signing-key /etc/hongbao/audit-signing.pem --out /mnt/worm/audit-$(date -u +%Y%m%dT%H%M%SZ).json
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("The private key (PKCS#8 PEM, mode 0600) from `hongbao audit keygen`.", valueName: "file")) var signingKey: String
    @Option(help: ArgumentHelp("Write the checkpoint to this new file instead of stdout.", valueName: "file")) var out: String?

    func run() async throws {
        let path = signingKey
        let key = try await NIOThreadPool.singleton.runIfActive { try AuditSigningKey.load(path: path) }
        if let out, WriteOnceFile.exists(out) { throw CLIError("\(out) exists: a checkpoint file is never overwritten") }
        let pool = try await database.connect()
        defer { pool.close() }
        let checkpoint = try await AuditCheckpoint.take(from: pool, key: key)
        guard let out else {
            FileHandle.standardOutput.write(checkpoint.document)
            return
        }
        let bytes = Array(checkpoint.document)
        try await NIOThreadPool.singleton.runIfActive { try WriteOnceFile.create(out, bytes: bytes, mode: 0o444) }
        print("checkpoint of \(checkpoint.chains.count) chains at \(checkpoint.createdAt), signed by key \(checkpoint.keyID), written to \(out)")
    }
}
