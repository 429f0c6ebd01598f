import Audit
import Foundation
import Payouts
import Merchants
import Postgres
import Tenants
import Testing
import TestSupport

@Suite("Audit chain (I6) and least privilege")
struct AuditTests {
    /// A migrated database with some history: admin actions and payouts' records.
    func history(_ label: String) async throws -> (url: String, pool: PostgresPool) {
        let (url, pool) = try await TestDatabase.migratedDatabase(label)
        let tenants = TenantStore(pool: pool)
        for name in ["alpha", "beta"] { _ = try await tenants.add(name: name, dailyBudgetFen: nil, actor: "test") }
        _ = try await APIKeyStore(pool: pool).issue(tenant: "alpha", mode: .test, actor: "test")
        try await pool.transaction { c in
            for i in 0..<40 {
                try AuditLog.append(c, chain: "tenant:test:\(i % 3)", actor: "test", action: "probe.\(i)", detail: PostgresJSON(encoding: ["i": String(i), "名": "红包"]))
            }
        }
        return (url, pool)
    }

    @Test("a chain written by the gateway verifies")
    func verifies() async throws {
        let (_, pool) = try await history("auditok")
        defer { pool.close() }
        let report = try await AuditVerifier(pool: pool, pageSize: 7).verify()
        #expect(report.broken == nil)
        #expect(report.records == 43 && report.chains == 4, "2 tenants + 1 key on the admin chain, 40 probes on 3 chains")
    }

    @Test("records appended while verify walks the chains never make it report a break: it reads one snapshot")
    func concurrentAppendsAreNoFalseBreak() async throws {
        let (_, pool) = try await history("auditbusy")
        defer { pool.close() }
        // Appends to every probe chain, one small transaction after another, until cancelled.
        let appender = Task {
            var transactions = 0
            while !Task.isCancelled {
                try await pool.transaction { c in
                    for chain in 0..<3 { try AuditLog.append(c, chain: "tenant:test:\(chain)", actor: "test", action: "busy", detail: PostgresJSON(encoding: [String: String]())) }
                }
                transactions += 1
                try? await Task.sleep(for: .milliseconds(2)) // the appender's pace, not an ordering: the walks get the pool too
            }
            return transactions
        }
        func appended() async throws -> Int64 {
            try await pool.query("SELECT count(*) FROM audit_log WHERE action = 'busy'").first!.decode(column: 0, as: Int64.self)
        }
        try await eventually("the appender's first commit", timeout: .seconds(10), every: .milliseconds(5)) { try await appended() > 0 }
        // Walks until five of them saw appends commit while they ran (bounded).
        var walks = 0, overlapped = 0
        while overlapped < 5 && walks < 200 {
            walks += 1
            let before = try await appended()
            // A small page: many statements per walk, so appends land between them.
            let report = try await AuditVerifier(pool: pool, pageSize: 3).verify()
            #expect(report.broken == nil, "false break while appends ran: \(String(describing: report.broken))")
            if try await appended() > before { overlapped += 1 }
        }
        appender.cancel()
        let transactions = try await appender.value
        #expect(overlapped == 5, "appends committed while verify walked (\(overlapped) of \(walks) walks)")
        let settled = try await AuditVerifier(pool: pool).verify()
        #expect(settled.broken == nil && settled.records == 43 + transactions * 3)
    }

    @Test("one row changed by the owner with the trigger disabled is detected at that row")
    func changedRow() async throws {
        let (_, pool) = try await history("auditchanged")
        defer { pool.close() }
        let target = try await pool.query("SELECT id, chain, seq FROM audit_log WHERE action = 'probe.17'").first!.decode((Int64, String, Int64).self)
        try await pool.withConnection { c in
            try c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            try c.query("UPDATE audit_log SET detail = '{\"i\": \"tampered\"}' WHERE id = $1", [target.0])
            try c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        }
        let broken = try #require(try await AuditVerifier(pool: pool).verify().broken)
        #expect(broken.id == target.0 && broken.chain == target.1 && broken.seq == target.2)
        #expect(broken.reason.contains("does not hash"))
    }

    @Test("a row deleted in the middle, or at the end of a chain, is detected")
    func deletedRows() async throws {
        let (_, pool) = try await history("auditdeleted")
        defer { pool.close() }
        try await pool.withConnection { c in
            try c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            try c.query("DELETE FROM audit_log WHERE chain = 'tenant:test:1' AND seq = 5")
            try c.query("DELETE FROM audit_log WHERE chain = 'tenant:test:2' AND seq = (SELECT max(seq) FROM audit_log WHERE chain = 'tenant:test:2')")
            try c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        }
        let broken = try #require(try await AuditVerifier(pool: pool).verify().broken)
        #expect(broken.chain == "tenant:test:1" && broken.seq == 6 && broken.reason.contains("missing"))
        try await pool.withConnection { c in
            try c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            try c.query("DELETE FROM audit_log WHERE chain = 'tenant:test:1'")
            try c.query("DELETE FROM audit_heads WHERE chain = 'tenant:test:1'")
            try c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        }
        let tail = try #require(try await AuditVerifier(pool: pool).verify().broken)
        #expect(tail.chain == "tenant:test:2" && tail.reason.contains("head"))
    }

    @Test("the app role (a member of hongbao_app) writes and reads the audit log but cannot change, erase or unguard it")
    func appRoleCannotRewrite() async throws {
        let (url, pool) = try await history("auditrole")
        defer { pool.close() }
        let role = "app_\(UInt32.random(in: 0...UInt32.max))"
        try await pool.query("CREATE ROLE \(role) LOGIN IN ROLE hongbao_app")
        guard var components = URLComponents(string: url) else { throw TestSetupError("bad URL") }
        components.user = role
        let app = PostgresPool(configuration: PostgresConfiguration(connectionString: components.string!, maxConnections: 1))
        defer { app.close() }
        #expect(try await app.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").first!.decode(column: 0, as: Bool.self) == false)
        try await app.transaction { c in try AdminAudit.record(c, actor: "app", action: "probe.app") }
        #expect(try await app.query("SELECT count(*) FROM audit_log").first!.decode(column: 0, as: Int64.self) == 44)
        for statement in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                          "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", "DROP TABLE audit_log"] {
            let error = await #expect(throws: PostgresError.self, "\(statement)") { try await app.query(statement) }
            #expect(error?.sqlState == "42501", "\(statement): \(String(describing: error))")
        }
        #expect(try await AuditVerifier(pool: app).verify().broken == nil)
    }

    @Test("the app role appends only through audit_append (SECURITY DEFINER, fixed search_path): it cannot insert a record or a head, nor move one")
    func appRoleAppendsOnlyThroughTheFunction() async throws {
        let (url, pool) = try await history("auditdefiner")
        defer { pool.close() }
        let app = PostgresPool(configuration: PostgresConfiguration(connectionString: try await TestDatabase.appURL(url), maxConnections: 1))
        defer { app.close() }
        func head() async throws -> Int64 {
            try await app.query("SELECT seq FROM audit_heads WHERE chain = 'tenant:test:0'").first!.decode(column: 0, as: Int64.self)
        }
        let before = try await head()
        for statement in [
            "INSERT INTO audit_log (chain, seq, prev_hash, hash, occurred_at, actor, action) VALUES ('tenant:test:0', \(before + 1), sha256(''), sha256('x'), now(), 'forger', 'forged')",
            "INSERT INTO audit_heads (chain, seq, hash) VALUES ('forged', 1, sha256('x'))",
            "UPDATE audit_heads SET seq = seq - 1 WHERE chain = 'tenant:test:0'",
        ] {
            let error = await #expect(throws: PostgresError.self, "\(statement)") { try await app.query(statement) }
            #expect(error?.sqlState == "42501", "\(statement): \(String(describing: error))")
        }
        try await app.transaction { c in try AuditLog.append(c, chain: "tenant:test:0", actor: "app", action: "probe.app", detail: PostgresJSON(encoding: ["by": "app"])) }
        #expect(try await head() == before + 1)
        #expect(try await app.query("SELECT count(*) FROM audit_log WHERE actor = 'forger'").first!.decode(column: 0, as: Int64.self) == 0)
        #expect(try await AuditVerifier(pool: app).verify().broken == nil)
        let (definer, settings, publicMayCall) = try await pool.query("""
            SELECT prosecdef, array_to_string(proconfig, ';'), has_function_privilege('public', p.oid, 'EXECUTE')
            FROM pg_proc p WHERE proname = 'audit_append'
            """).first!.decode((Bool, String, Bool).self)
        #expect(definer && settings == "search_path=pg_catalog, public, pg_temp" && !publicMayCall)
    }

    @Test("the first trail (audit_events) is carried into the admin chain, in order, and verifies")
    func carriedOver() async throws {
        let pool = try await TestDatabase.pool("auditcarry")
        defer { pool.close() }
        let all = try Migrator(directory: Repository.root.appendingPathComponent("migrations")).migrations
        try await Migrator(migrations: all.filter { $0.version <= 3 }).migrate(pool)
        for action in ["merchant.add", "merchant.disable", "merchant.enable"] {
            try await pool.query("INSERT INTO audit_events (actor, action, merchant, detail) VALUES ('ops', $1, 'acme', '{\"why\": \"test\"}')", [action])
        }
        try await Migrator(migrations: all).migrate(pool)
        let rows = try await pool.query("SELECT chain, seq, action FROM audit_log ORDER BY id").rows.map { try $0.decode((String, Int64, String).self) }
        #expect(rows.map(\.0) == ["admin", "admin", "admin"] && rows.map(\.1) == [1, 2, 3])
        #expect(rows.map(\.2) == ["merchant.add", "merchant.disable", "merchant.enable"])
        #expect(try await AuditVerifier(pool: pool).verify().broken == nil)
        #expect(try await pool.query("SELECT to_regclass('audit_events') IS NULL").first!.decode(column: 0, as: Bool.self))
    }
}
