import Foundation
import Logging
import Synchronization

/// A fixed-size pool of connections, each with its own thread (see `ConnectionSlot`).
///
/// Callers borrow a connection for a synchronous body that runs on the connection's
/// thread. Waiting for a free connection is bounded by `acquireTimeout`. A connection
/// found broken at checkout is replaced, so a database restart heals without a process
/// restart (statements in flight when it went down fail with `.connection`).
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    private let state: Mutex<State>

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<ConnectionSlot, Error>
    }

    private struct State {
        var idle: [ConnectionSlot]
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        var all: [ConnectionSlot]
        var counts = PoolStatistics.Counts()
    }

    /// How busy the pool is now, and how often callers waited since it opened (metrics).
    public var statistics: PoolStatistics {
        state.withLock { state in
            PoolStatistics(size: state.all.count, idle: state.idle.count, waiting: state.waiters.count, counts: state.counts)
        }
    }

    public init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        let slots = (0..<configuration.maxConnections).map { ConnectionSlot(id: $0, configuration: configuration) }
        self.state = Mutex(State(idle: slots, all: slots))
    }

    /// Runs `body` with a connection on that connection's own thread.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let slot = try await acquire()
        defer { release(slot) }
        return try await slot.run(body)
    }

    /// Runs `body` inside BEGIN … COMMIT; throws → ROLLBACK. Serialization failures and
    /// deadlocks (40001/40P01) run the whole body again, at most `retries` more times,
    /// so `body` must have no effects outside the database. `readOnly` with
    /// `.repeatableRead` is one consistent snapshot for every statement of the body that
    /// writes nothing (what a reader of several tables or pages needs). The commit waits
    /// for its WAL to be on disk whatever the server's default (`awaitFlush`, as for a pipeline).
    public func transaction<T: Sendable>(
        _ isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        retries: Int = 3,
        awaitFlush: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await withConnection { connection in
                    try connection.simple("BEGIN ISOLATION LEVEL \(isolation.sql)\(readOnly ? " READ ONLY" : ""); \(Durability(awaitFlush).setting)")
                    do {
                        let value = try body(connection)
                        try connection.simple("COMMIT")
                        return value
                    } catch {
                        try? connection.simple("ROLLBACK")
                        throw error
                    }
                }
            } catch let error as PostgresError where error.isRetryableConflict && attempt < retries {
                attempt += 1
                // Brief, growing, jittered pause so conflicting transactions stop colliding.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 << min(attempt, 4)))))
            }
        }
    }

    /// Convenience: one statement on any connection.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresResult {
        try await withConnection { try $0.query(sql, parameters) }
    }

    /// Refuses new work, fails waiters, and stops the threads once their queued work is done.
    /// Proves a connection can be made and answers (a round trip of `SELECT 1`).
    public func ping() async throws {
        _ = try await query("SELECT 1")
    }

    public func close() {
        let (waiters, slots) = state.withLock { state -> ([Waiter], [ConnectionSlot]) in
            state.closed = true
            defer { state.waiters = [] }
            return (state.waiters, state.all)
        }
        waiters.forEach { $0.continuation.resume(throwing: PostgresError(.poolClosed, "the connection pool is closed")) }
        slots.forEach { $0.stop() }
    }

    deinit { close() }

    private func acquire() async throws -> ConnectionSlot {
        enum Immediate { case slot(ConnectionSlot), closed, wait }
        let immediate = state.withLock { state -> Immediate in
            if state.closed { return .closed }
            state.counts.acquisitions += 1
            if let slot = state.idle.popLast() { return .slot(slot) }
            return .wait
        }
        switch immediate {
        case .slot(let slot): return slot
        case .closed: throw PostgresError(.poolClosed, "the connection pool is closed")
        case .wait: return try await waitForSlot()
        }
    }

    private func waitForSlot() async throws -> ConnectionSlot {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.expire(waiter: id)
        }
        defer { timer.cancel() }
        let started = ContinuousClock.now
        defer {
            let waited = ContinuousClock.now - started
            state.withLock { state in
                state.counts.waits += 1
                state.counts.waitSeconds += Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18
            }
        }
        return try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> ConnectionSlot? in
                if let slot = state.idle.popLast() { return slot }
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func expire(waiter id: UInt64) {
        let expired = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            state.counts.timeouts += 1
            return state.waiters.remove(at: index)
        }
        expired?.continuation.resume(throwing: PostgresError(
            .poolTimeout,
            "no database connection became free within \(configuration.acquireTimeout) (pool of \(configuration.maxConnections))"))
    }

    private func release(_ slot: ConnectionSlot) {
        let waiter = state.withLock { state -> Waiter? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(slot)
            return nil
        }
        waiter?.continuation.resume(returning: slot)
    }
}

/// Transaction isolation levels.
public enum IsolationLevel: Sendable {
    case readCommitted, repeatableRead, serializable

    var sql: String {
        switch self {
        case .readCommitted: "READ COMMITTED"
        case .repeatableRead: "REPEATABLE READ"
        case .serializable: "SERIALIZABLE"
        }
    }
}
