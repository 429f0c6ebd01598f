import Foundation
import Payouts
import Testing
import TestSupport
import Transport

/// The dashboard as a person sees it: a real `hongbao serve` with an admin token file,
/// loaded in headless Chromium (Debian's `chromium`, installed by scripts/deps.sh) through
/// a one-time sign-in link; the test reads the rendered DOM and keeps a screenshot in
/// .build/test-artifacts/admin.png.
@Suite("/admin in Chromium")
struct AdminBrowserTests {
    static let screenshot = Repository.root.appendingPathComponent(".build/test-artifacts/admin.png")

    /// `chromium --headless` with a fresh profile, killed after 60 s; its stdout.
    static func chromium(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        guard let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestSetupError("chromium is not installed: run scripts/deps.sh (apt-get install chromium)")
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("hb-chromium-\(UUID())")
        defer { try? FileManager.default.removeItem(at: profile) }
        return try await Shell.run(["timeout", "-k", "5", "60", browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                                    "--user-data-dir=\(profile.path)"] + arguments)
    }

    @Test("headless Chromium signs in with a one-time link, renders every section and a known payout's billno, and saves a screenshot")
    func rendersInChromium() async throws {
        try await GatewayHarness.with("adminbrowser") { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oBrowser1", amountFen: 188)))
            let billno = try await gw.payout(id).billno
            let token = "tok-" + UUID().uuidString.lowercased() + UUID().uuidString.lowercased()
            try gw.fixture.writeSecret(token, named: "admin-token")
            let gateway = try await GatewayProcess(
                arguments: ["--merchants", gw.fixture.directory.path, "--admin-token-file", gw.fixture.secrets.appendingPathComponent("admin-token").path],
                environment: ["DATABASE_URL": try await TestDatabase.appURL(gw.databaseURL), "LOG_LEVEL": "debug", "HONGBAO_ADMIN_TOKEN": nil])
            defer { gateway.stop() }
            let http = HTTPSClient()
            defer { http.shutdown() }
            func loginLink() async throws -> String {
                let answer = await http.post(gateway.baseURL + "/admin/login-link", body: [], contentType: "application/json",
                                             headers: ["Authorization: Bearer \(token)"], timeout: .seconds(10))
                guard case .response(200, let body) = answer,
                      let path = (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["path"] as? String else {
                    throw TestSetupError("POST /admin/login-link did not answer a path")
                }
                return gateway.baseURL + path
            }
            #expect(try await gateway.get("/admin").status == 401, "no session, no token: the sign-in page")

            let dom = try await Self.chromium(["--dump-dom", try await loginLink()])
            #expect(dom.status == 0)
            for section in ["merchants", "tenants", "sends", "last-hour", "backlog", "webhooks", "oldest-pending", "audit", "recent-payouts"] {
                #expect(dom.output.contains("<section id=\"\(section)\">"), "section \(section) in the rendered page")
            }
            #expect(dom.output.contains(billno) && dom.output.contains("HEALTHY") && dom.output.contains(gw.tenant.name))
            #expect(!dom.output.contains("Operator sign-in"), "signed in, not shown the sign-in form")
            // Inline SVG parsed as such: acme's two charts of the last hour, a bar for the payout.
            #expect(dom.output.components(separatedBy: "<svg ").count - 1 == 2 && dom.output.contains("<rect ") && dom.output.contains("1 in the hour"))

            try? FileManager.default.removeItem(at: Self.screenshot)
            try FileManager.default.createDirectory(at: Self.screenshot.deletingLastPathComponent(), withIntermediateDirectories: true)
            let shot = try await Self.chromium(["--screenshot=\(Self.screenshot.path)", "--window-size=1280,900", try await loginLink()])
            #expect(shot.status == 0)
            let png = try Data(contentsOf: Self.screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000, "a real picture: \(png.count) bytes")
            #expect(!gateway.log.contains(token), "the admin token is never logged, even at debug level")
        }
    }
}
