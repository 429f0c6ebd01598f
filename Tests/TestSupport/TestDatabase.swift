import Foundation
import Postgres

/// Fresh databases on the throwaway cluster that `make test` starts (scripts/pg.sh).
/// Each suite gets its own database, so suites run in parallel without seeing each other.
public enum TestDatabase {
    /// The cluster's admin URL from DATABASE_URL; tests fail loudly without it.
    public static var baseURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw TestSetupError("DATABASE_URL is not set: run the tests with `make test` (it starts a local cluster)")
            }
            return url
        }
    }

    /// Creates an empty database named after `label` and returns its URL.
    public static func create(_ label: String, on cluster: String? = nil) async throws -> String {
        let base = try cluster ?? baseURL
        let name = "hbt_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max))"
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: base, maxConnections: 1))
        defer { admin.close() }
        try await admin.query("CREATE DATABASE \"\(name)\"")
        guard var components = URLComponents(string: base) else { throw TestSetupError("DATABASE_URL is not a URI") }
        components.path = "/" + name
        return components.string!
    }

    /// A pool on a fresh database.
    public static func pool(_ label: String, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(5)) async throws -> PostgresPool {
        let url = try await create(label)
        return PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: maxConnections, acquireTimeout: acquireTimeout))
    }

    /// A pool on a fresh database with every migration in the repository applied.
    public static func migrated(_ label: String, maxConnections: Int = 8) async throws -> PostgresPool {
        try await migratedDatabase(label, maxConnections: maxConnections).pool
    }

    /// The same database as the gateway's least-privilege role sees it: a login role that is
    /// a member of hongbao_app and nothing more (made once per cluster). Tests that work as
    /// it prove the migrations grant everything the engine needs, and no more.
    public static func appURL(_ url: String) async throws -> String {
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 1))
        defer { admin.close() }
        try await admin.query("""
            DO $$BEGIN
                CREATE ROLE hongbao_test_app LOGIN IN ROLE hongbao_app;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END$$
            """)
        guard var components = URLComponents(string: url) else { throw TestSetupError("DATABASE_URL is not a URI") }
        components.user = "hongbao_test_app"
        components.password = nil
        return components.string!
    }

    /// A fresh migrated database: its URL (for processes) and a pool on it.
    public static func migratedDatabase(_ label: String, maxConnections: Int = 8, on cluster: String? = nil) async throws -> (url: String, pool: PostgresPool) {
        let url = try await create(label, on: cluster)
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: maxConnections))
        try await Migrator(directory: Repository.root.appendingPathComponent("migrations")).migrate(pool)
        return (url, pool)
    }
}

/// The repository's root folder, found from this file's location.
public enum Repository {
    public static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
