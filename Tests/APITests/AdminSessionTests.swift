@testable import API
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport
import Transport

/// Dashboard sessions (issue 15 item 7): links minted with the bearer token only, a
/// server-side session generation that sign-out and token rotation end, Secure cookies,
/// a rate-limited sign-in, and no sign-in code or openid in the request log.
@Suite("/admin sessions")
struct AdminSessionTests {
    static let token = "admin-" + UUID().uuidString.lowercased()
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func router(_ gw: GatewayHarness, token: String = token, failedSignInsPerMinute: Int = 10, logs: CapturedLogs = CapturedLogs()) throws
        -> Router<APIRequestContext> {
        let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
        var dependencies = GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: logs.logger)
        dependencies.admin = try AdminSettings(token: Secret(token), failedSignInsPerMinute: failedSignInsPerMinute)
        return try buildRouter(dependencies: dependencies)
    }

    /// Signs in with the token through the form; the cookie to send back.
    static func signIn(_ client: some TestClientProtocol, token: String = token) async throws -> String {
        let response = try await client.execute(uri: "/admin/login", method: .post, headers: form, body: ByteBuffer(string: "token=" + token))
        #expect(response.status == .seeOther)
        let setCookie = try #require(response.headers[.setCookie])
        return String(setCookie.prefix { $0 != ";" })
    }

    static func status(_ client: some TestClientProtocol, _ path: String, cookie: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: path, method: .get, headers: [.cookie: cookie]).status
    }

    @Test("a session cookie cannot mint a sign-in link (a stolen cookie does not renew itself); the bearer token can")
    func linksNeedTheToken() async throws {
        try await GatewayHarness.with("adminlink") { gw in
            try await Application(router: try Self.router(gw)).test(.router) { client in
                let cookie = try await Self.signIn(client)
                let before = try await Self.status(client, "/admin", cookie: cookie)
                #expect(before == .ok)
                let withCookie = try await client.execute(uri: "/admin/login-link", method: .post, headers: [.cookie: cookie])
                #expect(withCookie.status == .unauthorized && !String(buffer: withCookie.body).contains("code="))
                let withToken = try await client.execute(uri: "/admin/login-link", method: .post, headers: [.authorization: "Bearer \(Self.token)"])
                #expect(withToken.status == .ok && String(buffer: withToken.body).contains("/admin/login?code="))
            }
        }
    }

    @Test("signing out ends every session on every instance, copies of the cookie included; a stranger cannot sign anyone out")
    func signOutEndsEverySession() async throws {
        try await GatewayHarness.with("adminlogout") { gw in
            let first = Application(router: try Self.router(gw)), second = Application(router: try Self.router(gw))
            let signedInFirst = try await first.test(.router) { client in try await Self.signIn(client) }
            let cookies = try await second.test(.router) { client in
                let cookies = [signedInFirst, try await Self.signIn(client)]
                let stranger = try await client.execute(uri: "/admin/logout", method: .post)
                #expect(stranger.status == .unauthorized)
                for cookie in cookies {
                    let status = try await Self.status(client, "/admin/audit", cookie: cookie)
                    #expect(status == .ok, "still signed in")
                }
                return cookies
            }
            try await first.test(.router) { client in
                let out = try await client.execute(uri: "/admin/logout", method: .post, headers: [.cookie: cookies[0]])
                #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
                for cookie in cookies {
                    let status = try await Self.status(client, "/admin/audit", cookie: cookie)
                    #expect(status == .unauthorized, "this instance")
                }
            }
            try await second.test(.router) { client in
                for cookie in cookies {
                    let status = try await Self.status(client, "/admin/audit", cookie: cookie)
                    #expect(status == .unauthorized, "the other instance")
                }
                let again = try await Self.signIn(client)
                let status = try await Self.status(client, "/admin/audit", cookie: again)
                #expect(status == .ok, "signing in again works")
            }
        }
    }

    @Test("a new admin token ends every session signed under the old one")
    func tokenRotationEndsSessions() async throws {
        try await GatewayHarness.with("adminrotate") { gw in
            let cookie = try await Application(router: try Self.router(gw)).test(.router) { client in try await Self.signIn(client) }
            try await Application(router: try Self.router(gw, token: "rotated-" + UUID().uuidString)).test(.router) { client in
                let status = try await Self.status(client, "/admin", cookie: cookie)
                #expect(status == .unauthorized)
            }
        }
    }

    @Test("a sign-in link works once across instances")
    func linkOnceAcrossInstances() async throws {
        try await GatewayHarness.with("adminlinkonce") { gw in
            let path = try await Application(router: try Self.router(gw)).test(.router) { client in
                let link = try await client.execute(uri: "/admin/login-link", method: .post, headers: [.authorization: "Bearer \(Self.token)"])
                let path = try #require((try JSONSerialization.jsonObject(with: Data(buffer: link.body)) as? [String: Any])?["path"] as? String)
                let redeemed = try await client.execute(uri: path, method: .get)
                #expect(redeemed.status == .seeOther)
                return path
            }
            try await Application(router: try Self.router(gw)).test(.router) { client in
                let again = try await client.execute(uri: path, method: .get)
                #expect(again.status == .unauthorized && again.headers[.setCookie] == nil, "redeemed on the other instance")
            }
        }
    }

    @Test("the session cookie is Secure even when no proxy says https")
    func cookieAlwaysSecure() async throws {
        try await GatewayHarness.with("adminsecure") { gw in
            try await Application(router: try Self.router(gw)).test(.router) { client in
                let response = try await client.execute(uri: "/admin/login", method: .post, headers: Self.form, body: ByteBuffer(string: "token=" + Self.token))
                let attributes = try #require(response.headers[.setCookie]).split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                #expect(attributes.contains("Secure") && attributes.contains("HttpOnly") && attributes.contains("SameSite=Strict"), "\(attributes)")
            }
        }
    }

    @Test("/admin/login is rate-limited: past the failures allowed per minute it is 429 with Retry-After, even for the right token; bearer pages still work")
    func signInRateLimited() async throws {
        try await GatewayHarness.with("adminlimit") { gw in
            try await Application(router: try Self.router(gw, failedSignInsPerMinute: 3)).test(.router) { client in
                for attempt in 1...3 {
                    let wrong = try await client.execute(uri: "/admin/login", method: .post, headers: Self.form, body: ByteBuffer(string: "token=guess\(attempt)"))
                    #expect(wrong.status == .unauthorized, "attempt \(attempt)")
                }
                let badCode = try await client.execute(uri: "/admin/login?code=1.00.00", method: .get)
                #expect(badCode.status == .tooManyRequests, "sign-in links count too")
                let right = try await client.execute(uri: "/admin/login", method: .post, headers: Self.form, body: ByteBuffer(string: "token=" + Self.token))
                #expect(right.status == .tooManyRequests && right.headers[.setCookie] == nil)
                let seconds = try #require(right.headers[.retryAfter].flatMap(Int.init))
                #expect((1...60).contains(seconds))
                let bearer = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer \(Self.token)"])
                #expect(bearer.status == .ok, "an operator with the token is never locked out")
            }
        }
    }

    @Test("the request log at debug level carries neither a sign-in code nor an openid")
    func codesAndOpenidsNotLogged() async throws {
        try await GatewayHarness.with("adminredact") { gw in
            let logs = CapturedLogs()
            let code = "1999999999.0123456789abcdef0123456789abcdef.feedface"
            try await Application(router: try Self.router(gw, logs: logs), logger: logs.logger).test(.router) { client in
                _ = try await client.execute(uri: "/admin/login?code=\(code)", method: .get)
                _ = try await client.execute(uri: "/admin/payouts?openid=oSecretOpenid42", method: .get, headers: [.authorization: "Bearer \(Self.token)"])
                _ = try await client.execute(uri: "/v1/redpacks?openid=oSecretOpenid43", method: .get, headers: [.authorization: "Bearer \(gw.apiKey)"])
            }
            let all = logs.all.joined(separator: "\n")
            #expect(all.contains("/admin/login") && all.contains("code=REDACTED") && all.contains("openid=REDACTED"), "the requests are logged: \(all)")
            #expect(!all.contains("0123456789abcdef") && !all.contains("oSecretOpenid42") && !all.contains("oSecretOpenid43"))
        }
    }

    @Test("QueryRedaction replaces code, openid and token values, whatever their case or encoding, and keeps the rest")
    func redaction() {
        #expect(QueryRedaction.redact("code=abc&next=%2Fadmin") == "code=REDACTED&next=%2Fadmin")
        #expect(QueryRedaction.redact("OpenID=o1&limit=5&%6fpenid=o2") == "OpenID=REDACTED&limit=5&%6fpenid=REDACTED")
        #expect(QueryRedaction.redact("status=sent") == "status=sent")
    }
}
