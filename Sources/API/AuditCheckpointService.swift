import Audit
import Foundation
import Payouts
import Logging
import NIOPosix
import Postgres
import ServiceLifecycle

/// What `serve --audit-checkpoint-dir DIR --audit-signing-key FILE` asks for.
public struct AuditCheckpointSchedule: Sendable {
    /// Where checkpoint files go (meant to be synced to write-once storage).
    public let directory: String
    public let key: AuditSigningKey
    public let interval: Duration

    public init(directory: String, key: AuditSigningKey, interval: Duration) {
        self.directory = directory
        self.key = key
        self.interval = interval
    }
}

/// Writes a signed checkpoint of every audit chain's head into a directory, once at start
/// and then on an interval, while the server runs: one new file each time
/// (`audit-checkpoint-<time>-<random>.json`, mode 0444), never overwriting one. A failure
/// (the directory full or gone) is logged as an error and tried again at the next interval;
/// it never stops the gateway. Graceful shutdown stops the wait between two checkpoints.
public struct AuditCheckpointService: Service {
    let pool: PostgresPool
    let schedule: AuditCheckpointSchedule
    let logger: Logger

    public init(pool: PostgresPool, schedule: AuditCheckpointSchedule, logger: Logger) {
        self.pool = pool
        self.schedule = schedule
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await writeOne()
                try await Task.sleep(for: schedule.interval)
            }
        }
    }

    /// One checkpoint, as a new file in the directory.
    func writeOne() async {
        do {
            let checkpoint = try await AuditCheckpoint.take(from: pool, key: schedule.key)
            let path = URL(fileURLWithPath: schedule.directory).appendingPathComponent(Self.fileName(checkpoint)).path
            let bytes = Array(checkpoint.document)
            // File I/O and fsync: on a thread that may block, never the cooperative pool.
            try await NIOThreadPool.singleton.runIfActive { try WriteOnceFile.create(path, bytes: bytes, mode: 0o444) }
            logger.info("audit checkpoint written", metadata: ["file": "\(path)", "chains": "\(checkpoint.chains.count)", "key_id": "\(checkpoint.keyID)"])
        } catch {
            logger.error("audit checkpoint not written; trying again in \(schedule.interval)", metadata: ["directory": "\(schedule.directory)", "error": "\(error)"])
        }
    }

    /// audit-checkpoint-20250601T080000.123Z-1a2b3c4d.json: sorts by time; the random part
    /// keeps two instances writing into one directory in the same millisecond apart.
    static func fileName(_ checkpoint: AuditCheckpoint) -> String {
        let time = checkpoint.createdAt.filter { $0 != "-" && $0 != ":" }
        return "audit-checkpoint-\(time)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16)).json"
    }
}
