import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport

@Suite("Postgres pool and transactions")
struct PoolTests {
    @Test("a transaction commits on return and rolls back on throw")
    func commitAndRollback() async throws {
        let pool = try await TestDatabase.pool("tx")
        defer { pool.close() }
        try await pool.query("CREATE TABLE t (v int8)")
        _ = try await pool.transaction { try $0.query("INSERT INTO t VALUES (1)") }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.transaction { connection in
                try connection.query("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        let values = try await pool.query("SELECT v FROM t ORDER BY v").rows.map { try $0.decode(column: 0, as: Int64.self) }
        #expect(values == [1])
    }

    @Test("serialization failures are retried until the transaction commits")
    func serializationRetry() async throws {
        let pool = try await TestDatabase.pool("serial", maxConnections: 8)
        defer { pool.close() }
        try await pool.query("CREATE TABLE counter (id int PRIMARY KEY, n int8 NOT NULL)")
        try await pool.query("INSERT INTO counter VALUES (1, 0)")
        let attempts = AttemptCounter()
        // 16 concurrent read-modify-write increments under SERIALIZABLE: conflicts are
        // certain, and every increment must still land exactly once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await pool.transaction(.serializable, retries: 50) { connection in
                        attempts.value.add(1, ordering: .relaxed)
                        let n = try connection.query("SELECT n FROM counter WHERE id = 1").first!.decode(column: 0, as: Int64.self)
                        try connection.query("UPDATE counter SET n = $1 WHERE id = 1", [n + 1])
                    }
                }
            }
            try await group.waitForAll()
        }
        let n = try await pool.query("SELECT n FROM counter").first!.decode(column: 0, as: Int64.self)
        #expect(n == 16)
        #expect(attempts.value.load(ordering: .relaxed) > 16, "expected at least one retried conflict")
    }

    @Test("an exhausted pool times out with poolTimeout instead of hanging")
    func exhaustion() async throws {
        let pool = try await TestDatabase.pool("exhaust", maxConnections: 1, acquireTimeout: .milliseconds(200))
        defer { pool.close() }
        // The holder keeps the only connection far longer than the wait allowed: ending
        // with poolTimeout well before it lets go is what "not hanging" means.
        // Bounds are generous: a loaded two-core machine can starve a thread for seconds.
        let holding = Atomic<Bool>(false)
        let holder = Task {
            try await pool.withConnection { _ in
                holding.store(true, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 8)
            }
        }
        try await eventually("the holder has the only connection") { holding.load(ordering: .relaxed) }
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.kind == .poolTimeout)
        #expect(ContinuousClock.now - started < .seconds(6))
        try await holder.value
        try await pool.query("SELECT 1") // usable again afterwards
    }

    @Test("64 concurrent tasks share an 8-connection pool")
    func concurrency() async throws {
        // A generous wait: 64 tasks on 8 connections on a loaded machine must queue, not time out.
        let pool = try await TestDatabase.pool("conc", maxConnections: 8, acquireTimeout: .seconds(60))
        defer { pool.close() }
        try await pool.query("CREATE TABLE hits (task int, i int)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    for i in 0..<10 {
                        try await pool.query("INSERT INTO hits VALUES ($1, $2)", [Int32(task), Int32(i)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let count = try await pool.query("SELECT count(*) FROM hits").first!.decode(column: 0, as: Int64.self)
        #expect(count == 640)
        let backends = try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").first!.decode(column: 0, as: Int64.self)
        #expect(backends <= 8)
    }

    @Test("connections killed by the server are replaced without restarting the process")
    func recovery() async throws {
        // Terminating every backend of this suite's database is what a server restart
        // looks like to the client, without disturbing suites running in parallel.
        let url = try await TestDatabase.create("recover")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 4))
        defer { pool.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await pool.withConnection { _ = try $0.query("SELECT pg_sleep(0.05)") } } }
            try await group.waitForAll()
        }
        let name = try await pool.query("SELECT current_database()").first!.decode(column: 0, as: String.self)
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: try TestDatabase.baseURL, maxConnections: 1))
        defer { admin.close() }
        let killed = try await admin.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", [name])
        #expect(try killed.first!.decode(column: 0, as: Int64.self) >= 1)
        try await eventually("the terminated backends exited") {
            try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", [name]).first!.decode(column: 0, as: Int64.self) == 0
        }
        for _ in 0..<8 {
            #expect(try await pool.query("SELECT 1").first!.decode(column: 0, as: Int32.self) == 1)
        }
    }

    @Test("LISTEN/NOTIFY delivers notifications")
    func listenNotify() async throws {
        let url = try await TestDatabase.create("notify")
        let configuration = PostgresConfiguration(connectionString: url, maxConnections: 2)
        let pool = PostgresPool(configuration: configuration)
        defer { pool.close() }
        let listener = PostgresListener(configuration: configuration, channels: ["outbox"])
        defer { listener.stop() }
        var events = listener.events.makeAsyncIterator()
        // The listener connects on its own thread: notify once it says it is listening.
        guard await events.next() == .listening else { throw TestSetupError("the listener ended before it listened") }
        try await pool.query("SELECT pg_notify('outbox', $1)", ["wake-0"])
        var first: PostgresNotification?
        while first == nil, let event = await events.next() {
            if case .notification(let notification) = event { first = notification }
        }
        #expect(first?.channel == "outbox")
        #expect(first?.payload.hasPrefix("wake-") == true)
    }
}

final class AttemptCounter: Sendable {
    let value = Atomic<Int>(0)
}

@Suite("Prepared statements")
struct PreparedStatementTests {
    @Test("a statement prepared before its table changed shape still runs (re-prepared), and the same SQL with NULL or a value both work")
    func tableChangesShape() async throws {
        let pool = try await TestDatabase.pool("prepared", maxConnections: 1)
        defer { pool.close() }
        try await pool.query("CREATE TABLE shapes (id int8 PRIMARY KEY, note text)")
        try await pool.query("INSERT INTO shapes VALUES ($1, $2)", [Int64(1), Optional<String>.none])
        try await pool.query("INSERT INTO shapes VALUES ($1, $2)", [Int64(2), "two"])
        #expect(try await pool.query("SELECT * FROM shapes ORDER BY id").rows.count == 2)
        try await pool.query("ALTER TABLE shapes ADD COLUMN extra int4")
        let columns = try await pool.query("SELECT * FROM shapes ORDER BY id").columnNames
        #expect(columns == ["id", "note", "extra"])
    }

    @Test("with prepared statements off (a pooler in transaction mode) queries work the same")
    func off() async throws {
        let url = try await TestDatabase.create("unprepared")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 1, preparedStatements: false))
        defer { pool.close() }
        #expect(try await pool.query("SELECT $1::int8 + 1", [Int64(41)]).first?.decode(column: 0, as: Int64.self) == 42)
        #expect(try await pool.query("SELECT count(*) FROM pg_prepared_statements").first?.decode(column: 0, as: Int64.self) == 0)
    }
}

@Suite("Pipelines")
struct PipelineTests {
    @Test("statements sent at once come back in order, each with its rows")
    func results() async throws {
        let pool = try await TestDatabase.pool("pipeline", maxConnections: 1)
        defer { pool.close() }
        try await pool.query("CREATE TABLE notes (id int8 PRIMARY KEY, body text NOT NULL)")
        for _ in 0..<2 { // the second time every statement is already prepared
            try await pool.query("DELETE FROM notes")
            let results = try await pool.pipeline([
                PipelineStatement("INSERT INTO notes VALUES ($1, $2) RETURNING id", [Int64(1), "one"]),
                PipelineStatement("INSERT INTO notes VALUES ($1, $2) RETURNING id", [Int64(2), "two"]),
                PipelineStatement("SELECT count(*) FROM notes"),
            ])
            #expect(try results.map { try $0.first!.decode(column: 0, as: Int64.self) } == [1, 2, 2])
        }
    }

    @Test("in a transaction, a failing statement undoes the ones before it and is the error thrown; the connection stays usable")
    func allOrNothing() async throws {
        let pool = try await TestDatabase.pool("pipelinefail", maxConnections: 1)
        defer { pool.close() }
        try await pool.query("CREATE TABLE notes (id int8 PRIMARY KEY)")
        try await pool.query("""
            CREATE FUNCTION refuse(ok boolean, why text) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN IF NOT ok THEN RAISE EXCEPTION USING ERRCODE = 'HB000', MESSAGE = why; END IF; END $$
            """)
        let error = await #expect(throws: PostgresError.self) {
            try await pool.pipeline([
                PipelineStatement("INSERT INTO notes VALUES (1)"),
                PipelineStatement("SELECT refuse(false, 'full')"),
                PipelineStatement("INSERT INTO notes VALUES (2)"),
            ])
        }
        #expect(error?.sqlState == "HB000" && error?.message == "full")
        #expect(try await pool.query("SELECT count(*) FROM notes").first!.decode(column: 0, as: Int64.self) == 0)
        #expect(try await pool.query("SELECT 1").first!.decode(column: 0, as: Int32.self) == 1)
    }
}
