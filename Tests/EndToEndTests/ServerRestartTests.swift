import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Postgres pool across a real server restart")
struct ServerRestartTests {
    /// Runs scripts/pg.sh on a cluster of this suite's own, so parallel suites are untouched.
    func pg(_ command: String, cluster: String) async throws -> String {
        try Self.checked(command, try await Shell.run(Self.arguments(command), environment: Self.environment(cluster)))
    }

    /// For the cleanup in a `defer` (no await there).
    func pgNow(_ command: String, cluster: String) throws -> String {
        try Self.checked(command, try Shell.runNow(Self.arguments(command), environment: Self.environment(cluster)))
    }

    static func arguments(_ command: String) -> [String] { ["bash", Repository.root.appendingPathComponent("scripts/pg.sh").path, command] }
    static func environment(_ cluster: String) -> [String: String] { ["HONGBAO_PG_NAME": cluster, "HONGBAO_PG_DIR": ""] }

    static func checked(_ command: String, _ run: (status: Int32, output: String)) throws -> String {
        guard run.status == 0 else { throw TestSetupError("pg.sh \(command) failed (\(run.status))") }
        return run.output
    }

    @Test("stop and start the server: in-flight work fails with .connection, then the same pool works again")
    func restart() async throws {
        let cluster = "restart-\(UUID().uuidString.prefix(8))"
        let url = try await pg("start", cluster: cluster)
        defer { _ = try? pgNow("destroy", cluster: cluster) }
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 4, connectTimeoutSeconds: 2))
        defer { pool.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try await pool.withConnection { _ = try $0.query("SELECT pg_sleep(0.05)") } } }
            try await group.waitForAll()
        }
        _ = try await pg("stop", cluster: cluster)
        let down = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(down?.kind == .connection)
        _ = try await pg("start", cluster: cluster)
        for _ in 0..<8 {
            #expect(try await pool.query("SELECT 1").first!.decode(column: 0, as: Int32.self) == 1)
        }
    }
}
