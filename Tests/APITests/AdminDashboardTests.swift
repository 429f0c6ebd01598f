@testable import API
import Audit
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Merchants
import Postgres
import Testing
import TestSupport
import Transport

/// /admin through the gateway's own router: off without a token, 401 without the right
/// one, the pages with it, and every value HTML-escaped.
@Suite("/admin dashboard")
struct AdminDashboardTests {
    static let token = "admin-" + UUID().uuidString.lowercased()

    func router(_ gw: GatewayHarness, admin: AdminSettings?, logs: CapturedLogs) throws -> Router<APIRequestContext> {
        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        var dependencies = GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: logs.logger)
        dependencies.admin = admin
        return try buildRouter(dependencies: dependencies)
    }

    @Test("no token configured: /admin and its pages are 404")
    func offByDefault() async throws {
        try await GatewayHarness.with("adminoff") { gw in
            try await Application(router: try router(gw, admin: nil, logs: CapturedLogs())).test(.router) { client in
                for path in ["/admin", "/admin/payouts", "/admin/audit", "/admin/login"] {
                    let response = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(Self.token)"])
                    #expect(response.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test("401 without a token and with a wrong one (bearer, form, cookie); 200 with the token; the token is never logged")
    func authentication() async throws {
        try await GatewayHarness.with("adminauth") { gw in
            let logs = CapturedLogs()
            // The server's own logger too: request logs (debug) are where a token in a URL would show.
            try await Application(router: try router(gw, admin: try AdminSettings(token: Secret(Self.token)), logs: logs), logger: logs.logger).test(.router) { client in
                let none = try await client.execute(uri: "/admin", method: .get)
                #expect(none.status == .unauthorized && String(buffer: none.body).contains("name=\"token\""), "the sign-in form")
                #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                let wrong = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer \(Self.token)x"])
                #expect(wrong.status == .unauthorized)
                let forged = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: "hongbao_admin=v2.9999999999.00ff"])
                #expect(forged.status == .unauthorized)
                let right = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer \(Self.token)"])
                #expect(right.status == .ok && right.headers[.contentType] == "text/html; charset=utf-8")
                #expect(right.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
                let html = String(buffer: right.body)
                for id in ["merchants", "tenants", "sends", "backlog", "webhooks", "oldest-pending", "audit"] {
                    #expect(html.contains("<section id=\"\(id)\">"), "section \(id)")
                }
                #expect(html.contains(#"<meta http-equiv="refresh" content="10">"#))

                let badForm = try await client.execute(uri: "/admin/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                       body: ByteBuffer(string: "token=nope"))
                #expect(badForm.status == .unauthorized && badForm.headers[.setCookie] == nil)
                let form = try await client.execute(uri: "/admin/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                    body: ByteBuffer(string: "token=" + Self.token))
                #expect(form.status == .seeOther && form.headers[.location] == "/admin")
                let setCookie = try #require(form.headers[.setCookie])
                for attribute in ["hongbao_admin=v2.", "HttpOnly", "SameSite=Strict", "Path=/admin"] { #expect(setCookie.contains(attribute), "\(attribute)") }
                #expect(!setCookie.contains(Self.token), "the cookie is a signature, not the token")
                let cookie = String(setCookie.prefix { $0 != ";" })
                let withCookie = try await client.execute(uri: "/admin/audit", method: .get, headers: [.cookie: cookie])
                #expect(withCookie.status == .ok)

                let link = try await client.execute(uri: "/admin/login-link", method: .post, headers: [.authorization: "Bearer \(Self.token)"])
                #expect(link.status == .ok)
                let path = try #require((try JSONSerialization.jsonObject(with: Data(buffer: link.body)) as? [String: Any])?["path"] as? String)
                #expect(path.hasPrefix("/admin/login?code=") && !path.contains(Self.token))
                let redeemed = try await client.execute(uri: path, method: .get)
                #expect(redeemed.status == .seeOther && redeemed.headers[.setCookie]?.contains("hongbao_admin=v2.") == true)
                let again = try await client.execute(uri: path, method: .get)
                #expect(again.status == .unauthorized, "a login link works once")
                let unauthorizedLink = try await client.execute(uri: "/admin/login-link", method: .post)
                #expect(unauthorizedLink.status == .unauthorized)
            }
            #expect(!logs.all.isEmpty && !logs.all.contains { $0.contains(Self.token) }, "the token is never logged")
        }
    }

    @Test("HTML escapes what operators, upstream answers and searches put on the page: a disable reason, an error message, search input")
    func escapes() async throws {
        try await GatewayHarness.with("adminescape", entities: [.init("acme", mchId: "1900000109"), .init("beta", mchId: "1900000110", priority: 20)]) { gw in
            let script = #"<script>alert("x")</script>"#
            try await MerchantStateStore(pool: gw.appPool).setEnabled("beta", false, reason: script, actor: "test")
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oEscape1")))
            // A last error as an upstream message could carry it (written here as the owner could).
            try await gw.pool.query("""
                UPDATE payouts SET error_code = 'SYSTEMERROR', error_class = 'U', error_message = $1, status = 'needs_attention', next_check_at = NULL
                WHERE id = $2
                """, [script, id])
            let billno = try await gw.payout(id).billno
            try await Application(router: try router(gw, admin: try AdminSettings(token: Secret(Self.token)), logs: CapturedLogs())).test(.router) { client in
                let auth: HTTPFields = [.authorization: "Bearer \(Self.token)"]
                let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
                let status = String(buffer: try await client.execute(uri: "/admin", method: .get, headers: auth).body)
                #expect(!status.contains("<script") && status.contains(escaped), "the disable reason and the last error are escaped")
                #expect(status.contains(billno) && status.contains("NEEDS ATTENTION"))
                let query = "/admin/payouts?openid=" + script.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let search = String(buffer: try await client.execute(uri: query, method: .get, headers: auth).body)
                #expect(!search.contains("<script") && search.contains("value=\"\(escaped)\""), "the search is echoed escaped")
                let tenant = try await client.execute(uri: "/admin/payouts?tenant=%3Cimg%20src%3Dx%3E", method: .get, headers: auth)
                #expect(tenant.status == .badRequest && !String(buffer: tenant.body).contains("<img") && String(buffer: tenant.body).contains("&lt;img src=x&gt;"))
                let detail = String(buffer: try await client.execute(uri: "/admin/payouts/\(id.uuidString.lowercased())", method: .get, headers: auth).body)
                #expect(!detail.contains("<script") && detail.contains(escaped))
            }
        }
    }

    @Test("payout search by billno, openid, tenant and status; the detail page lists billnos, upstream calls and audit records; the audit view links hashes")
    func searchDetailAudit() async throws {
        try await GatewayHarness.with("adminsearch") { gw in
            let one = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oSearch1")))
            let two = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oSearch2")))
            let billno = try await gw.payout(one).billno
            try await Application(router: try router(gw, admin: try AdminSettings(token: Secret(Self.token)), logs: CapturedLogs())).test(.router) { client in
                let auth: HTTPFields = [.authorization: "Bearer \(Self.token)"]
                func get(_ path: String) async throws -> String {
                    let response = try await client.execute(uri: path, method: .get, headers: auth)
                    #expect(response.status == .ok, "\(path)")
                    return String(buffer: response.body)
                }
                let byBillno = try await get("/admin/payouts?billno=\(billno)")
                #expect(byBillno.contains("1 payouts found") && byBillno.contains("/admin/payouts/\(one.uuidString.lowercased())"))
                #expect(!byBillno.contains("/admin/payouts/\(two.uuidString.lowercased())"))
                let byOpenID = try await get("/admin/payouts?openid=oSearch2")
                #expect(byOpenID.contains("/admin/payouts/\(two.uuidString.lowercased())") && !byOpenID.contains(billno))
                let byTenant = try await get("/admin/payouts?tenant=\(gw.tenant.name)&status=sent")
                #expect(byTenant.contains("2 payouts found"))
                let byID = try await get("/admin/payouts?payout=\(two.uuidString)")
                #expect(byID.contains("1 payouts found") && byID.contains("oSearch2"))
                let detail = try await get("/admin/payouts/\(one.uuidString.lowercased())")
                #expect(detail.contains(billno) && detail.contains("sendredpack") && detail.contains("success") && detail.contains("<section id=\"payout-audit\">"))
                let missing = try await client.execute(uri: "/admin/payouts/\(UUID().uuidString)", method: .get, headers: auth)
                #expect(missing.status == .notFound)
                // Six records so far (tenant, key, two per payout): the latest four, each payout's second
                // linked to its first — unless both payouts fell on one of the tenant's 16 chains.
                let audit = try await get("/admin/audit?limit=4")
                let oneChain = AuditChains.payout(tenant: gw.tenant.id, payout: one) == AuditChains.payout(tenant: gw.tenant.id, payout: two)
                #expect(audit.contains("Latest 4 records") && audit.components(separatedBy: "→ #1 ✓").count - 1 == (oneChain ? 1 : 2) && audit.contains("genesis ✓"))
                #expect(audit.contains("<span class=\"ok\">ok</span>") && !audit.contains("admin#1"))
            }
        }
    }
}
