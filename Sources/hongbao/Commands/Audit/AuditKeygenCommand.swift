import ArgumentParser
import Audit
import Foundation
import Payouts
import NIOPosix

struct AuditKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Make the Ed25519 key pair that signs audit checkpoints.",
        discussion: """
            Writes the private key as PKCS#8 PEM (BEGIN PRIVATE KEY) with mode 0600 and the \
            public key as PEM (BEGIN PUBLIC KEY) — the forms openssl uses for Ed25519. Refuses \
            to run when either file exists: a key is never overwritten. Keep the private key \
            off the database's hosts and out of its backups; give the public key to whoever \
            verifies (docs/operations.md, "Anchoring the audit trail").

            Example:
              hongbao audit keygen --private-key /etc/hongbao/audit-signing.pem --public-key audit-signing.pub.pem
            """)

    @Option(help: ArgumentHelp("Where to write the private key (a new file, mode 0600).", valueName: "file")) var privateKey: String
    @Option(help: ArgumentHelp("Where to write the public key (a new file).", valueName: "file")) var publicKey: String

    func validate() throws {
        guard !privateKey.isEmpty, !publicKey.isEmpty else { throw ValidationError("--private-key and --public-key need a file name") }
        guard URL(fileURLWithPath: privateKey).standardizedFileURL != URL(fileURLWithPath: publicKey).standardizedFileURL else {
            throw ValidationError("--private-key and --public-key must be two different files")
        }
    }

    func run() async throws {
        let (privatePath, publicPath) = (privateKey, publicKey)
        let key = try await NIOThreadPool.singleton.runIfActive { () throws -> AuditSigningKey in
            for path in [privatePath, publicPath] where WriteOnceFile.exists(path) {
                throw CLIError("\(path) exists: keygen never overwrites a key (move it away, or choose another name); nothing was written")
            }
            let key = AuditSigningKey()
            try WriteOnceFile.create(privatePath, bytes: Array(key.pem.utf8), mode: 0o600)
            do {
                try WriteOnceFile.create(publicPath, bytes: Array(key.publicKey.pem.utf8), mode: 0o644)
            } catch {
                unlink(privatePath) // made a moment ago by this run: leave nothing half done
                throw error
            }
            return key
        }
        print("audit signing key \(key.publicKey.keyID): private key \(privatePath) (mode 0600), public key \(publicPath)")
    }
}
