import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Postgres: savepoints and durable commits")
struct TransactionSafetyTests {
    struct Refused: Error {}

    @Test("an outer savepoint that throws undoes what it did before an inner savepoint that was rolled back")
    func nestedSavepointRollsBackToItself() async throws {
        let pool = try await TestDatabase.pool("savepoints")
        defer { pool.close() }
        try await pool.query("CREATE TABLE t (v text)")
        try await pool.transaction { c in
            try c.query("INSERT INTO t VALUES ('before')")
            // The shape of a reservation retried after its rate ring grew: an outer savepoint,
            // an inner one that fails and is retried, then a refusal of the outer one.
            _ = try? c.savepoint {
                try c.query("INSERT INTO t VALUES ('outer')")
                _ = try? c.savepoint {
                    try c.query("INSERT INTO t VALUES ('inner')")
                    throw Refused()
                }
                try c.query("INSERT INTO t VALUES ('retried')")
                throw Refused()
            }
            try c.query("INSERT INTO t VALUES ('after')")
        }
        let values = try await pool.query("SELECT v FROM t ORDER BY v").rows.map { try $0.decode(column: 0, as: String.self) }
        #expect(values == ["after", "before"])
    }

    @Test("savepoints nest three deep: each inner one kept, the outermost undone with all of them")
    func threeDeep() async throws {
        let pool = try await TestDatabase.pool("savepoints3")
        defer { pool.close() }
        try await pool.query("CREATE TABLE t (v int)")
        try await pool.transaction { c in
            _ = try? c.savepoint {
                try c.query("INSERT INTO t VALUES (1)")
                try c.savepoint {
                    try c.query("INSERT INTO t VALUES (2)")
                    _ = try c.savepoint { try c.query("INSERT INTO t VALUES (3)") }
                }
                throw Refused()
            }
            _ = try c.savepoint { try c.query("INSERT INTO t VALUES (4)") }
        }
        let values = try await pool.query("SELECT v FROM t ORDER BY v").rows.map { try $0.decode(column: 0, as: Int32.self) }
        #expect(values == [4])
    }

    @Test("transactions and pipelines wait for the disk even where the database's default is synchronous_commit = off")
    func durableWhateverTheDefault() async throws {
        let url = try await TestDatabase.create("durable")
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 1))
        let name = try await admin.query("SELECT current_database()").first!.decode(column: 0, as: String.self)
        try await admin.query("ALTER DATABASE \"\(name)\" SET synchronous_commit = off")
        admin.close()
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 2))
        defer { pool.close() }
        let outside = try await pool.query("SHOW synchronous_commit").first!.decode(column: 0, as: String.self)
        #expect(outside == "off", "the database's default is off")
        let inTransaction = try await pool.transaction { try $0.query("SHOW synchronous_commit").first!.decode(column: 0, as: String.self) }
        #expect(inTransaction == "on")
        let inPipeline = try await pool.pipeline([PipelineStatement("SHOW synchronous_commit")])[0].first!.decode(column: 0, as: String.self)
        #expect(inPipeline == "on")
        let relaxed = try await pool.pipeline([PipelineStatement("SHOW synchronous_commit")], awaitFlush: false)[0].first!.decode(column: 0, as: String.self)
        #expect(relaxed == "off", "only where the caller says the outcome can be learned again")
    }
}
