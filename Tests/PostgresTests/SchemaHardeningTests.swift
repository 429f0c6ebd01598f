import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Migrations leave no function or schema another role can bend")
struct SchemaHardeningTests {
    @Test("every function the migrations create resolves names through a fixed search_path")
    func fixedSearchPath() async throws {
        let (_, pool) = try await TestDatabase.migratedDatabase("searchpath")
        defer { pool.close() }
        let loose = try await pool.query("""
            SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND p.prokind = 'f'
              AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search_path=%')
            ORDER BY 1
            """).rows.map { try $0.decode(column: 0, as: String.self) }
        #expect(loose.isEmpty, "functions without a fixed search_path: \(loose)")
        let count = try await pool.query("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()")
            .first!.decode(column: 0, as: Int64.self)
        #expect(count >= 8, "the migrations' functions were found (\(count))")
    }

    @Test("the gateway's role cannot create objects in the schema (no planted functions or tables)")
    func noCreateInPublic() async throws {
        let url = try await TestDatabase.create("nocreate")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 2))
        defer { pool.close() }
        let all = try Migrator(directory: Repository.root.appendingPathComponent("migrations")).migrations
        try await Migrator(migrations: all.filter { $0.version < 14 }).migrate(pool)
        try await pool.query("GRANT CREATE ON SCHEMA public TO PUBLIC") // what a database from before PostgreSQL 15 grants
        try await Migrator(migrations: all).migrate(pool)
        let app = PostgresPool(configuration: PostgresConfiguration(connectionString: try await TestDatabase.appURL(url), maxConnections: 1))
        defer { app.close() }
        let refused = await #expect(throws: PostgresError.self) {
            try await app.query("CREATE FUNCTION public.hb_require(ok boolean, refusal text, extra int) RETURNS void LANGUAGE sql AS 'SELECT'")
        }
        #expect(refused?.sqlState == "42501", "\(String(describing: refused))")
    }
}
