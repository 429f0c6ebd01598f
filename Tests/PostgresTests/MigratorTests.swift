import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Migrator")
struct MigratorTests {
    func directory(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hb-mig-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    let files = [
        "0001_a.sql": "CREATE TABLE a (id int);",
        "0002_b.sql": "CREATE TABLE b (id int); INSERT INTO b VALUES (1);",
    ]

    @Test("fresh apply, then a re-run is a no-op")
    func freshThenNoop() async throws {
        let pool = try await TestDatabase.pool("migfresh")
        defer { pool.close() }
        let migrator = try Migrator(directory: try directory(files))
        #expect(try await migrator.migrate(pool) == [1, 2])
        #expect(try await migrator.migrate(pool) == [])
        #expect(try await migrator.isCurrent(pool))
        #expect(try await pool.query("SELECT count(*) FROM b").first!.decode(column: 0, as: Int64.self) == 1)
    }

    @Test("two concurrent runs apply each migration once")
    func concurrentRuns() async throws {
        let pool = try await TestDatabase.pool("migconc")
        defer { pool.close() }
        let migrator = try Migrator(directory: try directory(files))
        async let first = migrator.migrate(pool)
        async let second = migrator.migrate(pool)
        let applied = try await first + second
        #expect(applied.sorted() == [1, 2])
        #expect(try await pool.query("SELECT count(*) FROM b").first!.decode(column: 0, as: Int64.self) == 1)
    }

    @Test("an applied file that was edited is refused")
    func editedRefused() async throws {
        let pool = try await TestDatabase.pool("migedit")
        defer { pool.close() }
        try await Migrator(directory: try directory(files)).migrate(pool)
        var edited = files
        edited["0001_a.sql"] = "CREATE TABLE a (id int, extra text);"
        edited["0003_c.sql"] = "CREATE TABLE c (id int);"
        let migrator = try Migrator(directory: try directory(edited))
        let error = await #expect(throws: PostgresError.self) { try await migrator.migrate(pool) }
        #expect(error?.kind == .migration)
        #expect(error?.message.contains("0001_a.sql") == true)
        #expect(try await migrator.status(pool).map(\.state) == [.changed, .applied, .pending])
        #expect(try await pool.query("SELECT to_regclass('c') IS NULL").first!.decode(column: 0, as: Bool.self))
    }

    @Test("a failing migration reports its file, and the run leaves the database as it found it (one transaction)")
    func failingMigration() async throws {
        let pool = try await TestDatabase.pool("migfail")
        defer { pool.close() }
        let migrator = try Migrator(directory: try directory(["0001_ok.sql": "CREATE TABLE ok (id int);", "0002_bad.sql": "CREATE TABLE half (id int); SELECT nonsense_fn();"]))
        let error = await #expect(throws: PostgresError.self) { try await migrator.migrate(pool) }
        #expect(error?.message.contains("0002_bad.sql") == true)
        #expect(try await pool.query("SELECT to_regclass('half') IS NULL AND to_regclass('ok') IS NULL").first!.decode(column: 0, as: Bool.self))
        #expect(try await migrator.status(pool).map(\.state) == [.pending, .pending])
    }

    @Test("the repository's own migrations apply and audit_log refuses UPDATE, DELETE and TRUNCATE, even to its owner")
    func repositoryMigrations() async throws {
        let pool = try await TestDatabase.migrated("migrepo")
        defer { pool.close() }
        try await pool.query("SELECT audit_append('admin', now(), 'test', 'probe', NULL, NULL, NULL, NULL, '{}'::jsonb)")
        let update = await #expect(throws: PostgresError.self) { try await pool.query("UPDATE audit_log SET actor = 'x'") }
        #expect(update?.message.contains("append-only") == true)
        await #expect(throws: PostgresError.self) { try await pool.query("DELETE FROM audit_log") }
        await #expect(throws: PostgresError.self) { try await pool.query("TRUNCATE audit_log") }
    }
}
