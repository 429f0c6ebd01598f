import Foundation
import Testing
import TestSupport

/// The `hongbao` binary, end to end.
@Suite("merchant CLI")
struct MerchantCLITests {
    struct Run { let status: Int32; let out: String; let err: String }

    func hongbao(_ arguments: [String], database: String? = nil) throws -> Run {
        let binary = Repository.root.appendingPathComponent(".build/debug/hongbao")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestSetupError("build the hongbao binary first (make test does)") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database ?? "postgresql://nobody@127.0.0.1:1/none"
        environment["HONGBAO_MERCHANTS_DIR"] = nil
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self))
    }

    @Test("list --json has the documented fields, with reasons and eligible_from")
    func listJSON() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("old", mchId: "1900000101")
        try fixture.add("young", mchId: "1900000102") { $0["onboarded_on"] = "2099-01-01" }
        let database = try await TestDatabase.create("cli")
        _ = try hongbao(["migrate", "--migrations", Repository.root.appendingPathComponent("migrations").path], database: database)
        let run = try hongbao(["merchant", "list", "--json", "--merchants", fixture.directory.path], database: database)
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
    func loadError() throws {
        let fixture = try MerchantFixture()
        try fixture.add("bad", mchId: "1900000101") { $0["mch_id"] = "\"abc\"" }
        let run = try hongbao(["merchant", "list", "--merchants", fixture.directory.path])
        #expect(run.status != 0)
        #expect(run.err.contains("bad.toml") && run.err.contains("mch_id"))
    }

    @Test("disable needs a reason; enable/disable are refused for unknown names")
    func switches() async throws {
        let fixture = try MerchantFixture()
        try fixture.add("acme", mchId: "1900000101")
        let database = try await TestDatabase.create("cliswitch")
        _ = try hongbao(["migrate", "--migrations", Repository.root.appendingPathComponent("migrations").path], database: database)
        #expect(try hongbao(["merchant", "disable", "acme", "--merchants", fixture.directory.path], database: database).status != 0)
        #expect(try hongbao(["merchant", "disable", "nobody", "--reason", "x", "--merchants", fixture.directory.path], database: database).status != 0)
        let disabled = try hongbao(["merchant", "disable", "acme", "--reason", "rotating", "--merchants", fixture.directory.path, "--actor", "test"], database: database)
        #expect(disabled.status == 0, "\(disabled.err)")
        let list = try hongbao(["merchant", "list", "--json", "--merchants", fixture.directory.path], database: database)
        #expect(list.out.contains("\"enabled\" : false") && list.out.contains("disabled by an operator: rotating"))
    }

    @Test("add from flags validates, writes the file and refuses a second add")
    func add() async throws {
        let fixture = try MerchantFixture()
        let (cert, key, apiKey) = try fixture.credentials(for: "newco", mchId: "1900000555")
        let database = try await TestDatabase.create("cliadd")
        _ = try hongbao(["migrate", "--migrations", Repository.root.appendingPathComponent("migrations").path], database: database)
        let arguments = ["merchant", "add", "--merchants", fixture.directory.path, "--name", "newco", "--mch-id", "1900000555",
                         "--appid", "wx8888888888888888:mp", "--send-name", "NewCo", "--api-key-file", apiKey, "--cert", cert, "--key-file", key,
                         "--onboarded-on", "2025-01-01", "--trading-since", "2025-02-01", "--actor", "test"]
        let added = try hongbao(arguments, database: database)
        #expect(added.status == 0, "\(added.err)")
        #expect(FileManager.default.fileExists(atPath: fixture.directory.appendingPathComponent("newco.toml").path))
        #expect(try hongbao(["merchant", "show", "newco", "--merchants", fixture.directory.path], database: database).out.contains("<redacted>"))
        #expect(try hongbao(arguments, database: database).status != 0)
        let bad = try hongbao(["merchant", "add", "--merchants", fixture.directory.path, "--name", "broken", "--mch-id", "1900000556",
                               "--appid", "wx8888888888888888:mp", "--send-name", "B", "--api-key-file", "/nonexistent", "--cert", cert,
                               "--key-file", key, "--onboarded-on", "2025-01-01", "--trading-since", "2025-02-01"], database: database)
        #expect(bad.status != 0 && bad.err.contains("api_key"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appendingPathComponent("broken.toml").path))
    }

    @Test("import-p12 reads WeChat's RC2-40 p12 with the mch_id as password; key file is 0600")
    func importP12() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hb-p12-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let p12 = work.appendingPathComponent("apiclient_cert.p12").path
        let shell = """
            cd \(work.path) && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 2 -subj /CN=1900000109 2>/dev/null \
            && openssl pkcs12 -export -legacy -in c.pem -inkey k.pem -out \(p12) -passout pass:1900000109
            """
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/bin/sh")
        make.arguments = ["-c", shell]
        try make.run()
        make.waitUntilExit()
        try #require(make.terminationStatus == 0)
        let out = work.appendingPathComponent("out").path
        let run = try hongbao(["merchant", "import-p12", p12, "--mch-id", "1900000109", "--out", out])
        #expect(run.status == 0, "\(run.err)")
        let key = out + "/apiclient_key.pem"
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: key, encoding: .utf8).contains("PRIVATE KEY"))
        #expect(try String(contentsOfFile: out + "/apiclient_cert.pem", encoding: .utf8).contains("BEGIN CERTIFICATE"))
        let wrong = try hongbao(["merchant", "import-p12", p12, "--mch-id", "1900000110", "--out", out])
        #expect(wrong.status != 0 && wrong.err.contains("password"))
    }
}
