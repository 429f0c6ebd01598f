import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Postgres
import Testing
import TestSupport

/// The `hongbao` binary, end to end.
@Suite("merchant CLI")
struct MerchantCLITests {
    /// Runs the binary against `database` (or an unreachable one), with no merchants
    /// directory from the environment unless given.
    func hongbao(_ arguments: [String], database: String? = nil, environment: [String: String?] = [:]) async throws -> Hongbao.Run {
        try await Hongbao.run(arguments, environment: ["DATABASE_URL": database ?? "postgresql://nobody@127.0.0.1:1/none"].merging(environment) { $1 })
    }

    func migrated(_ label: String) async throws -> (url: String, pool: PostgresPool) {
        try await TestDatabase.migratedDatabase(label, maxConnections: 2)
    }

    func auditActions(_ pool: PostgresPool) async throws -> [(actor: String, action: String, merchant: String?)] {
        try await pool.query("SELECT actor, action, merchant FROM audit_log ORDER BY id").rows.map { try $0.decode((String, String, String?).self) }
    }

    @Test("list --json has the documented fields, with reasons and eligible_from")
    func listJSON() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("old", mchId: "1900000101")
        try fixture.add("young", mchId: "1900000102") { $0["onboarded_on"] = "2099-01-01" }
        let database = try await TestDatabase.create("cli")
        _ = try await hongbao(["migrate", "--migrations", Repository.root.appendingPathComponent("migrations").path], database: database)
        let run = try await hongbao(["merchant", "list", "--json", "--merchants", fixture.directory.path], database: database)
        #expect(run.status == 0, "\(run.err)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [[String: Any]])
        #expect(entries.count == 2)
        let old = try #require(entries.first { $0["name"] as? String == "old" })
        let young = try #require(entries.first { $0["name"] as? String == "young" })
        #expect(old["mch_id"] as? String == "1900000101" && old["enabled"] as? Bool == true && old["eligible"] as? Bool == true)
        #expect((old["reasons"] as? [String])?.isEmpty == true)
        #expect((old["appids"] as? [[String: String]])?.first?["type"] == "mp")
        #expect(young["eligible"] as? Bool == false && young["eligible_from"] as? String == "2099-04-01")
        #expect((young["reasons"] as? [String])?.first?.contains("onboarded") == true)
    }

    @Test("a loading error exits non-zero and names the file and field")
    func loadError() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("bad", mchId: "1900000101") { $0["mch_id"] = "\"abc\"" }
        let run = try await hongbao(["merchant", "list", "--merchants", fixture.directory.path])
        #expect(run.status != 0)
        #expect(run.err.contains("bad.toml") && run.err.contains("mch_id"))
    }

    @Test("disable needs a reason; enable/disable are refused for unknown names")
    func switches() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        let database = try await TestDatabase.create("cliswitch")
        _ = try await hongbao(["migrate", "--migrations", Repository.root.appendingPathComponent("migrations").path], database: database)
        #expect(try await hongbao(["merchant", "disable", "acme", "--merchants", fixture.directory.path], database: database).status != 0)
        #expect(try await hongbao(["merchant", "disable", "nobody", "--reason", "x", "--merchants", fixture.directory.path], database: database).status != 0)
        let disabled = try await hongbao(["merchant", "disable", "acme", "--reason", "rotating", "--merchants", fixture.directory.path, "--actor", "test"], database: database)
        #expect(disabled.status == 0, "\(disabled.err)")
        let list = try await hongbao(["merchant", "list", "--json", "--merchants", fixture.directory.path], database: database)
        #expect(list.out.contains("\"enabled\" : false") && list.out.contains("disabled by an operator: rotating"))
    }

    @Test("add from flags validates, writes the file and refuses a second add")
    func add() async throws {
        let fixture = try MerchantFixture()
        let (cert, key, apiKey) = try fixture.credentials(for: "newco", mchId: "1900000555")
        let database = try await TestDatabase.create("cliadd")
        _ = try await hongbao(["migrate", "--migrations", Repository.root.appendingPathComponent("migrations").path], database: database)
        let arguments = ["merchant", "add", "--merchants", fixture.directory.path, "--name", "newco", "--mch-id", "1900000555",
                         "--appid", "wx8888888888888888:mp", "--send-name", "NewCo", "--api-key-file", apiKey, "--cert", cert, "--key-file", key,
                         "--onboarded-on", "2025-01-01", "--trading-since", "2025-02-01", "--actor", "test"]
        let added = try await hongbao(arguments, database: database)
        #expect(added.status == 0, "\(added.err)")
        #expect(FileManager.default.fileExists(atPath: fixture.directory.appendingPathComponent("newco.toml").path))
        #expect(try await hongbao(["merchant", "show", "newco", "--merchants", fixture.directory.path], database: database).out.contains("<redacted>"))
        #expect(try await hongbao(arguments, database: database).status != 0)
        let bad = try await hongbao(["merchant", "add", "--merchants", fixture.directory.path, "--name", "broken", "--mch-id", "1900000556",
                               "--appid", "wx8888888888888888:mp", "--send-name", "B", "--api-key-file", "/nonexistent", "--cert", cert,
                               "--key-file", key, "--onboarded-on", "2025-01-01", "--trading-since", "2025-02-01"], database: database)
        #expect(bad.status != 0 && bad.err.contains("api_key"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appendingPathComponent("broken.toml").path))
    }

    @Test("enable and disable are audited with the actor")
    func switchAudit() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        let (url, pool) = try await migrated("cliaudit")
        defer { pool.close() }
        #expect(try await hongbao(["merchant", "disable", "acme", "--reason", "rotating", "--merchants", fixture.directory.path, "--actor", "test:bob"], database: url).status == 0)
        let enabled = try await hongbao(["merchant", "enable", "acme", "--merchants", fixture.directory.path, "--actor", "test:bob"], database: url)
        #expect(enabled.status == 0, "\(enabled.err)")
        let audit = try await auditActions(pool)
        #expect(audit.map(\.action) == ["merchant.disable", "merchant.enable"])
        #expect(audit.allSatisfy { $0.actor == "test:bob" && $0.merchant == "acme" })
    }

    @Test("add --from copies a validated file into merchants.d and audits it")
    func addFrom() async throws {
        let fixture = try MerchantFixture()
        let (url, pool) = try await migrated("cliaddfrom")
        defer { pool.close() }
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("hb-add-\(UUID())")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let fields = try fixture.fields(name: "newco", mchId: "1900000555")
        let text = fields.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "\n") + "\n"
        let file = source.appendingPathComponent("newco.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let run = try await hongbao(["merchant", "add", "--from", file.path, "--merchants", fixture.directory.path, "--actor", "test:carol", "--json"], database: url)
        #expect(run.status == 0, "\(run.err)")
        let added = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: String]
        #expect(added == ["name": "newco", "mch_id": "1900000555", "file": fixture.directory.appendingPathComponent("newco.toml").path])
        #expect(try String(contentsOf: fixture.directory.appendingPathComponent("newco.toml"), encoding: .utf8) == text)
        let audit = try await auditActions(pool)
        #expect(audit.count == 1 && audit.first?.action == "merchant.add" && audit.first?.merchant == "newco" && audit.first?.actor == "test:carol")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path) == ["newco.toml"], "no temp file left")
    }

    @Test("add whose audit record cannot be written leaves no file behind (temp → audit → rename)")
    func addFailsInTheMiddle() async throws {
        let fixture = try MerchantFixture()
        let (cert, key, apiKey) = try fixture.credentials(for: "newco", mchId: "1900000555")
        let unmigrated = try await TestDatabase.create("cliaddfail") // no audit table: the transaction fails
        let run = try await hongbao(["merchant", "add", "--merchants", fixture.directory.path, "--name", "newco", "--mch-id", "1900000555",
                               "--appid", "wx8888888888888888:mp", "--send-name", "NewCo", "--api-key-file", apiKey, "--cert", cert, "--key-file", key,
                               "--onboarded-on", "2025-01-01", "--trading-since", "2025-02-01"], database: unmigrated)
        #expect(run.status != 0)
        #expect(run.err.contains("nothing was added"), "\(run.err)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).isEmpty, "neither the file nor its temp copy")
    }

    @Test("reload validates first: a broken directory signals nothing; a good one bumps the generation and is audited")
    func reload() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        let (url, pool) = try await migrated("clireload")
        defer { pool.close() }
        try fixture.add("bad", mchId: "1900000102") { $0["mch_id"] = "\"x\"" }
        let refused = try await hongbao(["merchant", "reload", "--merchants", fixture.directory.path], database: url)
        #expect(refused.status != 0 && refused.err.contains("bad.toml"))
        #expect(try await pool.query("SELECT generation FROM merchant_reload").first?.decode(column: 0, as: Int64.self) == 0)
        try fixture.remove("bad")
        let reloaded = try await hongbao(["merchant", "reload", "--merchants", fixture.directory.path, "--actor", "test:dan"], database: url)
        #expect(reloaded.status == 0, "\(reloaded.err)")
        #expect(try await pool.query("SELECT generation FROM merchant_reload").first?.decode(column: 0, as: Int64.self) == 1)
        let audit = try await auditActions(pool)
        #expect(audit.map(\.action) == ["merchant.reload"] && audit.first?.actor == "test:dan")
    }

    @Test("list with the database unreachable exits non-zero pointing to --offline; --offline says enabled: unknown")
    func offline() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        try fixture.add("off", mchId: "1900000102") { $0["redpack_enabled"] = "false" }
        let failed = try await hongbao(["merchant", "list", "--merchants", fixture.directory.path])
        #expect(failed.status != 0 && failed.err.contains("--offline"), "\(failed.err)")
        let table = try await hongbao(["merchant", "list", "--offline", "--merchants", fixture.directory.path])
        #expect(table.status == 0, "\(table.err)")
        let acmeLine = try #require(table.out.split(separator: "\n").first { $0.hasPrefix("acme") })
        #expect(acmeLine.contains("unknown"))
        let json = try await hongbao(["merchant", "list", "--offline", "--json", "--merchants", fixture.directory.path])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])
        #expect(entries.count == 2)
        for entry in entries {
            #expect(entry["enabled"] is NSNull, "enabled is null when unknown")
            #expect(entry.keys.contains("eligible_from"), "eligible_from is always present")
        }
        let off = try #require(entries.first { $0["name"] as? String == "off" })
        #expect(off["eligible_from"] is NSNull, "no eligible_from while the product is off")
    }

    @Test("HONGBAO_MERCHANTS_DIR chooses the merchants directory")
    func merchantsDirectoryFromEnvironment() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        let run = try await hongbao(["merchant", "list", "--offline", "--json"], environment: ["HONGBAO_MERCHANTS_DIR": fixture.directory.path])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("\"name\" : \"acme\""))
    }

    @Test("check exits 0 when every step passes and 1 naming the failed step")
    func check() async throws {
        try await SimulatorHarness.with { sim in
            let fixture = try MerchantFixture()
            let created: AccountCreatedBody = try await sim.control("POST", "/_sim/accounts", body: SimulatorHarness.qualifiedSpec())
            try fixture.add("acme", mchId: created.mchId) { f in
                f["base_url"] = "\"\(sim.baseURL)\""
                f["ca_file"] = "\"\(sim.server.caFile)\""
            }
            try fixture.credentials(for: "acme", mchId: created.mchId, apiKey: created.apiKey,
                                    issued: .init(certificatePEM: created.certPem, keyPEM: created.keyPem))
            let passed = try await hongbao(["merchant", "check", "acme", "--json", "--merchants", fixture.directory.path])
            #expect(passed.status == 0, "\(passed.out) \(passed.err)")
            let steps = try #require(try JSONSerialization.jsonObject(with: Data(passed.out.utf8)) as? [[String: Any]])
            #expect(steps.count == 5 && steps.allSatisfy { $0["ok"] as? Bool == true })
            try fixture.writeSecret(String(repeating: "Z", count: 32), named: "acme.apikey")
            let failed = try await hongbao(["merchant", "check", "acme", "--merchants", fixture.directory.path])
            #expect(failed.status == 1)
            #expect(failed.out.contains("✗ signature key"), "\(failed.out)")
        }
    }

    @Test("a second terminal in the project folder uses the running development cluster and says so")
    func developmentCluster() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        let (url, pool) = try await migrated("clidev")
        defer { pool.close() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hb-folder-\(UUID())")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".hongbao"), withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(".hongbao/dev-database-url").path
        try url.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600) // as scripts/pg.sh writes it
        let used = try await Hongbao.run(["merchant", "list", "--json", "--merchants", fixture.directory.path], directory: folder)
        #expect(used.status == 0, "\(used.err)")
        #expect(used.err.split(separator: "\n").count == 1 && used.err.contains("using this folder's development cluster"), "\(used.err)")
        // An explicit choice wins, and a cluster that is not running is not used.
        let explicit = try await Hongbao.run(["merchant", "list", "--json", "--merchants", fixture.directory.path], environment: ["DATABASE_URL": url], directory: folder)
        #expect(explicit.status == 0 && !explicit.err.contains("development cluster"))
        try "postgresql://hongbao@127.0.0.1:1/hongbao".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let stopped = try await Hongbao.run(["merchant", "list", "--json", "--merchants", fixture.directory.path], directory: folder)
        #expect(!stopped.err.contains("development cluster"))
    }

    @Test("a development-cluster file is trusted only as make run writes it: this user's, mode 0600, a regular file, naming 127.0.0.1")
    func developmentClusterFileTrust() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        let (url, pool) = try await migrated("clitrust")
        defer { pool.close() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hb-trust-\(UUID())")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".hongbao"), withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(".hongbao/dev-database-url").path
        func used() async throws -> Bool {
            try await Hongbao.run(["merchant", "list", "--json", "--merchants", fixture.directory.path], directory: folder).err
                .contains("using this folder's development cluster")
        }
        try url.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        #expect(try await !used(), "readable by others: not trusted")
        chmod(file, 0o600)
        #expect(try await used(), "the control: as make run writes it")
        let target = folder.appendingPathComponent("elsewhere").path
        try FileManager.default.moveItem(atPath: file, toPath: target)
        symlink(target, file)
        #expect(try await !used(), "a link: not trusted")
        unlink(file)
        try url.replacingOccurrences(of: "127.0.0.1", with: "localhost").write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        #expect(try await !used(), "not a loopback address: not trusted")
        if getuid() == 0 {
            try url.write(toFile: file, atomically: true, encoding: .utf8)
            chmod(file, 0o600)
            chown(file, 65534, 65534)
            #expect(try await !used(), "another user's: not trusted")
        }
    }

    @Test("import-p12 reads WeChat's RC2-40 p12 with the mch_id as password; key file is 0600")
    func importP12() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hb-p12-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let p12 = work.appendingPathComponent("apiclient_cert.p12").path
        let shell = """
            cd \(work.path) && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 2 -subj /CN=1900000109 2>/dev/null \
            && openssl pkcs12 -export -legacy -in c.pem -inkey k.pem -out \(p12) -passout pass:1900000109
            """
        let made = try await Shell.run(["/bin/sh", "-c", shell])
        try #require(made.status == 0)
        let out = work.appendingPathComponent("out").path
        let run = try await hongbao(["merchant", "import-p12", p12, "--mch-id", "1900000109", "--out", out, "--json"])
        #expect(run.status == 0, "\(run.err)")
        let written = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: String]
        #expect(written == ["certificate": out + "/apiclient_cert.pem", "private_key": out + "/apiclient_key.pem"])
        let key = out + "/apiclient_key.pem"
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: key, encoding: .utf8).contains("PRIVATE KEY"))
        #expect(try String(contentsOfFile: out + "/apiclient_cert.pem", encoding: .utf8).contains("BEGIN CERTIFICATE"))
        let wrong = try await hongbao(["merchant", "import-p12", p12, "--mch-id", "1900000110", "--out", out])
        #expect(wrong.status != 0 && wrong.err.contains("password"))
    }
}
