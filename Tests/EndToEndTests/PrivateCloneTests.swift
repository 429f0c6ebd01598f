import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Development cluster from a clone under a private directory")
struct PrivateCloneTests {
    @Test("scripts/pg.sh starts a working cluster when the clone lives under a 0700 directory (root's home on Debian)")
    func privateParent() async throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("hb-private-\(UUID().uuidString.prefix(8))")
        let scripts = parent.appendingPathComponent("clone/scripts")
        try FileManager.default.createDirectory(at: scripts, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: parent.path)
        defer { try? FileManager.default.removeItem(at: parent) }
        let script = scripts.appendingPathComponent("pg.sh").path
        try FileManager.default.copyItem(atPath: Repository.root.appendingPathComponent("scripts/pg.sh").path, toPath: script)
        let environment = ["HONGBAO_PG_NAME": "probe", "HONGBAO_PG_DIR": ""]
        let (status, url) = try await Shell.run(["bash", script, "start"], environment: environment)
        defer { _ = try? Shell.runNow(["bash", script, "destroy"], environment: environment) }
        #expect(status == 0, "pg.sh start failed under a 0700 parent")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 1))
        defer { pool.close() }
        #expect(try await pool.query("SELECT 1").first?.decode(column: 0, as: Int32.self) == 1)
    }
}
