import API
import ArgumentParser
import Audit
import Foundation
import Payouts

/// `serve`'s audit checkpoints: a signed checkpoint of every chain head written into a
/// directory on an interval. Off unless both the directory and the signing key are given.
struct AuditCheckpointServeOptions: ParsableArguments {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    @Option(help: ArgumentHelp("Write a signed audit checkpoint into this directory on an interval (with --audit-signing-key; "
                               + "sync it to write-once storage). Also HONGBAO_AUDIT_CHECKPOINT_DIR.", valueName: "dir"))
    var auditCheckpointDir: String?
    @Option(help: ArgumentHelp("The checkpoint signing key (PKCS#8 PEM, mode 0600, from `hongbao audit keygen`). "
                               + "Also HONGBAO_AUDIT_SIGNING_KEY.", valueName: "file"))
    var auditSigningKey: String?
    @Option(help: ArgumentHelp("Seconds between two audit checkpoints (the first is written at start).", valueName: "seconds"))
    var auditCheckpointInterval: Int = Environment.int("HONGBAO_AUDIT_CHECKPOINT_INTERVAL") ?? 300

    /// The flag, else its variable (an optional option cannot carry a default value).
    var checkpointDirectory: String? { auditCheckpointDir ?? Self.environment["HONGBAO_AUDIT_CHECKPOINT_DIR"].flatMap { $0.isEmpty ? nil : $0 } }
    var signingKeyPath: String? { auditSigningKey ?? Self.environment["HONGBAO_AUDIT_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 } }

    func validate() throws {
        guard (checkpointDirectory == nil) == (signingKeyPath == nil) else {
            throw ValidationError("--audit-checkpoint-dir and --audit-signing-key go together: give both, or neither")
        }
        guard (1...86_400).contains(auditCheckpointInterval) else { throw ValidationError("--audit-checkpoint-interval must be between 1 and 86400 seconds") }
    }

    /// nil when checkpoints are off. Refuses, before anything starts, a key that cannot be
    /// read or is not private, and a directory that is not a writable directory.
    func schedule() throws -> AuditCheckpointSchedule? {
        guard let directory = checkpointDirectory, let keyPath = signingKeyPath else { return nil }
        let key = try AuditSigningKey.load(path: keyPath)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("--audit-checkpoint-dir \(directory) is not a directory")
        }
        guard access(directory, W_OK) == 0 else { throw CLIError("--audit-checkpoint-dir \(directory) is not writable by this process") }
        return AuditCheckpointSchedule(directory: directory, key: key, interval: .seconds(auditCheckpointInterval))
    }
}
