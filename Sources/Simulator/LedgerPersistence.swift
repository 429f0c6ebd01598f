import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the journal from growing without end: compacts into a snapshot on a thread of its
/// own whenever the journal has outgrown the last snapshot, and once more at shutdown,
/// after which the journal is closed.
struct LedgerPersistence: Service {
    let ledger: SimLedger
    let logger: Logger

    func run() async throws {
        let stopping = Atomic<Bool>(false)
        let ledger = self.ledger, logger = self.logger
        let compactor = Thread {
            while true {
                ledger.journal.compactionDue.wait()
                if stopping.load(ordering: .acquiring) { break }
                do { try ledger.compact() } catch { logger.error("simulator compaction failed", metadata: ["error": "\(error)"]) }
            }
        }
        compactor.name = "hongbao-sim-compactor"
        compactor.start()
        try? await gracefulShutdown()
        let failure: String? = try? await OwnThread.run {
            stopping.store(true, ordering: .releasing)
            ledger.journal.compactionDue.signal()
            var failure: String?
            do { try ledger.compact() } catch { failure = "\(error)" }
            ledger.journal.close()
            return failure ?? ledger.journal.failure
        }
        if let failure { logger.error("simulator state may be incomplete", metadata: ["error": "\(failure)"]) }
    }
}

/// Runs blocking work (file I/O, fsync, replay) on a thread of its own, never on the
/// cooperative pool, and awaits it.
enum OwnThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.name = "hongbao-sim-io"
            thread.start()
        }
    }
}
