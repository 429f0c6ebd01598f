import Crypto
import Foundation

/// Applies `migrations/NNNN_name.sql` in order, each once, recording version, name and
/// SHA-256 in `schema_migrations`. One run is one transaction under a transaction-scoped
/// advisory lock: concurrent runs are safe (the second waits, then finds nothing to do), a
/// failing file leaves the database as the run found it, and nothing depends on the
/// session, so it holds behind a transaction-mode pooler such as PgBouncer. An applied file
/// whose content changed, or an applied version whose file is gone, stops it.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
        public var checksum: String { SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined() }

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    /// What `status` reports per migration.
    public struct Entry: Sendable, Equatable {
        public enum State: String, Sendable { case applied, pending, changed, missingFile = "missing-file" }
        public let version: Int
        public let name: String
        public let state: State
        public let appliedAt: Date?
    }

    /// Arbitrary but fixed key for pg_advisory_xact_lock ("hongbao" in ASCII).
    static let lockKey: Int64 = 0x686F6E6762616F

    public let migrations: [Migration]

    public init(migrations: [Migration]) { self.migrations = migrations.sorted { $0.version < $1.version } }

    /// Reads every `NNNN_name.sql` in `directory`; other files are ignored, duplicate numbers refused.
    public init(directory: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(.migration, "cannot read migrations directory \(directory.path): \(error.localizedDescription)")
        }
        var found: [Migration] = []
        for file in names where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw PostgresError(.migration, "migration file \(file) is not named NNNN_name.sql")
            }
            if let other = found.first(where: { $0.version == version }) {
                throw PostgresError(.migration, "migrations \(other.name) and \(file) share version \(version)")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            found.append(Migration(version: version, name: String(file), sql: sql))
        }
        self.init(migrations: found)
    }

    /// Applies what is pending; returns the versions applied by this run.
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> [Int] {
        let migrations = self.migrations
        return try await pool.withConnection { connection in
            try connection.simple("BEGIN")
            do {
                let applied = try Self.apply(migrations, connection)
                try connection.simple("COMMIT")
                return applied
            } catch {
                try? connection.simple("ROLLBACK")
                throw error
            }
        }
    }

    /// The pending migrations, inside the caller's transaction.
    private static func apply(_ migrations: [Migration], _ connection: PostgresConnection) throws -> [Int] {
        try connection.query("SELECT pg_advisory_xact_lock($1)", [lockKey])
        try ensureTable(connection)
        let entries = try entries(migrations, connection)
        if let bad = entries.first(where: { $0.state == .changed || $0.state == .missingFile }) {
            throw PostgresError(.migration, bad.state == .changed
                ? "migration \(bad.name) was changed after it was applied; add a new migration instead"
                : "migration \(bad.version) (\(bad.name)) is applied but its file is missing")
        }
        var applied: [Int] = []
        for migration in migrations where entries.contains(where: { $0.version == migration.version && $0.state == .pending }) {
            do {
                try connection.execute(script: migration.sql)
                try connection.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                     [migration.version, migration.name, migration.checksum])
            } catch {
                throw PostgresError(.migration, "migration \(migration.name) failed: \(error)")
            }
            applied.append(migration.version)
        }
        return applied
    }

    /// Applied, pending and inconsistent migrations, in version order.
    public func status(_ pool: PostgresPool) async throws -> [Entry] {
        let migrations = self.migrations
        // Read-only: a missing history table means nothing is applied yet (no DDL from
        // a status check or a readiness probe).
        return try await pool.withConnection { connection in
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").first!.decode(column: 0, as: Bool.self)
            guard exists else {
                return migrations.map { Entry(version: $0.version, name: $0.name, state: .pending, appliedAt: nil) }
            }
            return try Self.entries(migrations, connection)
        }
    }

    /// True when every migration is applied and none changed (used by /readyz).
    public func isCurrent(_ pool: PostgresPool) async throws -> Bool {
        try await status(pool).allSatisfy { $0.state == .applied }
    }

    private static func ensureTable(_ connection: PostgresConnection) throws {
        try connection.simple("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
    }

    private static func entries(_ migrations: [Migration], _ connection: PostgresConnection) throws -> [Entry] {
        let rows = try connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version").rows
        var applied: [Int: (name: String, checksum: String, at: Date)] = [:]
        for row in rows {
            let (version, name, checksum, at) = try row.decode((Int, String, String, Date).self)
            applied[version] = (name, checksum, at)
        }
        var entries: [Entry] = migrations.map { migration in
            guard let record = applied[migration.version] else {
                return Entry(version: migration.version, name: migration.name, state: .pending, appliedAt: nil)
            }
            let state: Entry.State = record.checksum == migration.checksum ? .applied : .changed
            return Entry(version: migration.version, name: migration.name, state: state, appliedAt: record.at)
        }
        for (version, record) in applied where !migrations.contains(where: { $0.version == version }) {
            entries.append(Entry(version: version, name: record.name, state: .missingFile, appliedAt: record.at))
        }
        return entries.sorted { $0.version < $1.version }
    }
}
