import Foundation
import Logging

/// One pooled connection and the thread that owns it. Work submitted to a slot runs
/// on that thread, one job at a time, so the connection is never touched concurrently
/// and no blocking libpq call runs anywhere else.
final class ConnectionSlot: @unchecked Sendable {
    // `connection` is read and written only on `thread` (inside jobs); `jobs` is guarded by `condition`.
    private var connection: PostgresConnection?
    private let configuration: PostgresConfiguration
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false
    let id: Int

    init(id: Int, configuration: PostgresConfiguration) {
        self.id = id
        self.configuration = configuration
        // The thread keeps the slot alive until its loop returns (after `stop`).
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "hongbao-pg-\(id)"
        thread.start()
    }

    /// Runs `body` on this slot's thread with a healthy connection (opening or
    /// replacing it first when needed) and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            submit {
                do {
                    let connection = try self.healthyConnection()
                    continuation.resume(returning: try body(connection))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Ends the thread after the jobs already queued; the connection closes with it.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func healthyConnection() throws -> PostgresConnection {
        if let connection, connection.isHealthy {
            connection.abandonOpenTransaction()
            return connection
        }
        if let connection {
            try connection.reconnect()
            return connection
        }
        let fresh = try PostgresConnection(configuration: configuration)
        connection = fresh
        return fresh
    }

    private func runLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                connection = nil
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
