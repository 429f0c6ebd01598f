import Audit
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import Logging
import Merchants
import Mustache
import Operations
import Postgres
import Tenants
import Transport

/// The operator dashboard's settings; `nil` in `GatewayDependencies` keeps /admin off (404).
public struct AdminSettings: Sendable {
    public let access: AdminAccess
    /// How often the status page reloads itself (`<meta http-equiv="refresh">`).
    public let refreshSeconds: Int

    /// Failed sign-ins allowed per client address and minute (`/admin/login`).
    let limiter: AdminSignInLimiter
    /// This instance's WeChat call latencies over the last hour, for the status page's p99
    /// charts: serve's `UpstreamMetrics` records every call into it.
    public let upstreamLatency = UpstreamLatencyWindow()

    /// Tokens shorter than this are refused: the token is the only thing guarding /admin.
    public static let minimumTokenLength = 16

    public init(token: Secret, refreshSeconds: Int = 10, failedSignInsPerMinute: Int = 10) throws {
        guard token.reveal().count >= Self.minimumTokenLength else {
            throw AdminTokenTooShort()
        }
        access = AdminAccess(token: token)
        self.refreshSeconds = refreshSeconds
        limiter = AdminSignInLimiter(perMinute: failedSignInsPerMinute)
    }
}

public struct AdminTokenTooShort: Error, CustomStringConvertible {
    public var description: String { "the admin token must be at least \(AdminSettings.minimumTokenLength) characters (e.g. `openssl rand -hex 32`)" }
}

/// `/admin`: read-only, server-rendered pages for operators — the status report, a payout
/// search with each payout's billnos and upstream calls, and the audit trail's latest
/// records with their hash links. Not part of the tenant API (openapi.yaml): operators only,
/// behind `AdminAccess`.
struct AdminController: Sendable {
    let pool: PostgresPool
    let registry: MerchantRegistry
    let settings: AdminSettings
    let logger: Logger

    var access: AdminAccess { settings.access }
    var sessions: AdminSessionStore { AdminSessionStore(pool: pool) }

    func addRoutes(to router: Router<APIRequestContext>) {
        let open = router.group("admin")
        open.get("login", use: loginPage)
        open.post("login", use: login)
        // Minted with the bearer token only: a session cookie cannot renew itself.
        open.post("login-link") { request, _ in
            guard case .bearer(valid: true) = access.credential(request) else { return Self.loginResponse(nil, status: .unauthorized) }
            let body = #"{"path":"/admin/login?code=\#(access.loginCode(now: Date()))","expires_in_seconds":\#(Int(AdminAccess.linkLifetime))}"#
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let guarded = router.group("admin").add(middleware: AdminAuthMiddleware(access: access, sessions: sessions))
        guarded.get(use: statusPage)
        guarded.get("payouts", use: payoutsPage)
        guarded.get("payouts/:id", use: payoutPage)
        guarded.get("audit", use: auditPage)
        // Ends every session, on every instance (the session generation moves on).
        guarded.post("logout") { _, context in
            try await sessions.endAllSessions()
            context.logger.notice("admin signed out: every dashboard session ended")
            var response = Response(status: .seeOther, headers: [.location: "/admin/login", .cacheControl: "no-store"])
            response.setCookie(AdminAccess.expiredCookie)
            return response
        }
    }

    static func now() -> String { Date().formatted(.iso8601) }

    // MARK: sign-in

    /// Who is signing in, for the limiter: the connection's address (a proxy's, behind one).
    static func client(_ context: APIRequestContext) -> String { context.remoteAddress?.ipAddress ?? "unknown" }

    /// 429 when this client failed too often in the last minute; nil to go on.
    func limited(_ context: APIRequestContext) -> Response? {
        guard let seconds = settings.limiter.retryAfter(Self.client(context)) else { return nil }
        var response = Self.loginResponse("Too many failed sign-ins from your address; try again in \(seconds) s.", status: .tooManyRequests)
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    @Sendable func loginPage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let code = Self.fields(request.uri.query ?? "")["code"] else { return Self.loginResponse(nil, status: .ok) }
        if let refused = limited(context) { return refused }
        guard let verified = access.verifiedCode(code, now: Date()),
              try await sessions.redeemOnce(nonce: verified.nonce, expiresAt: verified.expiresAt) else {
            settings.limiter.recordFailure(Self.client(context))
            context.logger.notice("admin sign-in link refused")
            return Self.loginResponse("That sign-in link has expired or was used already.", status: .unauthorized)
        }
        return try await signedIn()
    }

    @Sendable func login(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        if let refused = limited(context) { return refused }
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        guard let token = Self.fields(String(buffer: body))["token"], access.tokenMatches(token) else {
            settings.limiter.recordFailure(Self.client(context))
            context.logger.notice("admin sign-in refused")
            return Self.loginResponse("That token is not valid.", status: .unauthorized)
        }
        return try await signedIn()
    }

    func signedIn() async throws -> Response {
        var response = Response(status: .seeOther, headers: [.location: "/admin", .cacheControl: "no-store"])
        response.setCookie(access.sessionCookie(generation: try await sessions.generation(), now: Date()))
        return response
    }

    static func loginResponse(_ error: String?, status: HTTPResponse.Status) -> Response {
        var response = page("login", AdminViews.Login(generatedAt: now(), error: error), status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="hongbao admin""# }
        return response
    }

    // MARK: pages

    @Sendable func statusPage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let report = try await StatusReport.read(pool, merchants: registry.snapshot.merchants)
        let recent = try await PayoutSearch.find(pool, PayoutSearch.Filter(limit: 20))
        let lastHour = AdminViews.lastHour(entities: report.merchants.map { ($0.name, $0.mchID) }, sends: try await SendsPerMinute.read(pool),
                                           latency: settings.upstreamLatency)
        return Self.page("status", AdminViews.status(report, recent: recent, lastHour: lastHour, refreshSeconds: settings.refreshSeconds))
    }

    @Sendable func payoutsPage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let q = Self.fields(request.uri.query ?? "")
        func value(_ name: String) -> String? { q[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 } }
        var filter = PayoutSearch.Filter(limit: 100)
        var error: String? = nil
        var results: [PayoutSearch.Found] = []
        if let status = value("status") {
            if let parsed = PayoutStatus(rawValue: status) { filter.status = parsed } else { error = "Unknown status \(status)." }
        }
        if let tenant = value("tenant") {
            do { filter.tenantID = try await TenantStore(pool: pool).find(tenant).id } catch let refusal as TenantError where refusal.code == "not_found" {
                error = "No tenant named \(tenant)."
            }
        }
        filter.openID = value("openid")
        filter.billno = value("billno")
        if let id = value("payout") {
            if let uuid = UUID(uuidString: id) {
                if error == nil { results = try await PayoutSearch.one(pool, uuid.uuidString).map { [$0] } ?? [] }
            } else { error = "A payout id is a UUID, like 0b9c6a8e-…." }
        } else if error == nil {
            results = try await PayoutSearch.find(pool, filter)
        }
        let searched = ["billno", "payout", "openid", "tenant", "status"].contains { value($0) != nil }
        let view = AdminViews.Payouts(
            generatedAt: Self.now(), billno: q["billno"] ?? "", payout: q["payout"] ?? "", openid: q["openid"] ?? "", tenant: q["tenant"] ?? "",
            statuses: PayoutStatus.allCases.map { AdminViews.StatusOption(value: $0.rawValue, selected: $0.rawValue == q["status"]) },
            error: error, resultTitle: searched ? "\(results.count) payouts found" + (results.count == filter.limit ? " (the newest \(filter.limit))" : "") : "Latest payouts",
            results: results.map(AdminViews.payoutRow))
        return Self.page("payouts", view, status: error == nil ? .ok : .badRequest)
    }

    @Sendable func payoutPage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text), let found = try await PayoutSearch.one(pool, id.uuidString) else {
            let view = AdminViews.Payouts(generatedAt: Self.now(), billno: "", payout: text, openid: "", tenant: "",
                                          statuses: PayoutStatus.allCases.map { AdminViews.StatusOption(value: $0.rawValue, selected: false) },
                                          error: "No payout \(text).", resultTitle: "Not found", results: [])
            return Self.page("payouts", view, status: .notFound)
        }
        let p = found.payout
        let history = try await PayoutSearch.history(pool, p.id)
        let audit = try await AuditRecords(pool: pool).of(payout: p.id).map(Self.auditRow)
        var fields: [(String, String?)] = [
            ("status", p.status.rawValue), ("tenant", found.tenantName), ("kind", p.kind.rawValue), ("mode", p.mode.rawValue),
            ("merchant", p.merchant), ("mch_id", p.mchID), ("billno", p.billno), ("appid", p.appID), ("openid", p.openID),
            ("amount_fen", String(p.amountFen)), ("day", p.day), ("created_at", p.createdAt.formatted(.iso8601)),
            ("sent_at", p.sentAt?.formatted(.iso8601)), ("final_at", p.finalAt?.formatted(.iso8601)), ("send_listid", p.sendListID),
            ("refund_amount_fen", p.refundAmountFen.map(String.init)),
        ]
        if let failure = p.failure { fields.append(("last error", "\(failure.code) (\(failure.retryClass)): \(failure.message)")) }
        let view = AdminViews.Payout(
            generatedAt: Self.now(), id: p.id.uuidString.lowercased(),
            fields: fields.map { AdminViews.Field(name: $0.0, value: $0.1 ?? "-") },
            sends: history.sends.map { AdminViews.Send(mchID: $0.mchID, billno: $0.billno, merchant: $0.merchant, state: $0.state, createdAt: $0.createdAt.formatted(.iso8601)) },
            attempts: history.attempts.map {
                AdminViews.Attempt(startedAt: $0.startedAt.formatted(.iso8601), api: $0.api, billno: $0.billno, milliseconds: $0.milliseconds,
                                   outcome: $0.outcome, errCode: $0.errCode ?? "", errMessage: $0.errMessage ?? "")
            },
            audit: audit)
        return Self.page("payout", view)
    }

    @Sendable func auditPage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let limit = Self.fields(request.uri.query ?? "")["limit"].flatMap(Int.init).map { min(max($0, 1), 500) } ?? 50
        let state = try await AuditVerifier(pool: pool).state(.default)
        var rows = try await AuditRecords(pool: pool).latest(limit).map(Self.auditRow)
        // Each record's link to the one before it in its chain, where that one is on the page.
        var hashes: [String: String] = [:]
        for row in rows { hashes["\(row.chain)#\(row.seq)"] = row.hash }
        rows = rows.map { r in
            let link: String
            if r.seq == 1 {
                link = r.prevHash == String(repeating: "0", count: 64) ? "genesis ✓" : "✗ first record without the zero prev_hash"
            } else if let previous = hashes["\(r.chain)#\(r.seq - 1)"] {
                link = previous == r.prevHash ? "→ #\(r.seq - 1) ✓" : "✗ prev_hash is not #\(r.seq - 1)'s hash"
            } else {
                link = "→ #\(r.seq - 1) (older)"
            }
            return AdminViews.AuditRow(id: r.id, occurredAt: r.occurredAt, chain: r.chain, seq: r.seq, actor: r.actor, action: r.action, merchant: r.merchant,
                                       payout: r.payout, prevHash: r.prevHash, prevShort: r.prevShort, hash: r.hash, hashShort: r.hashShort, link: link,
                                       detail: r.detail)
        }
        return Self.page("audit", AdminViews.Audit(generatedAt: Self.now(), refreshSeconds: settings.refreshSeconds, auditOK: state.ok,
                                                   auditSummary: AdminViews.auditSummary(state), count: rows.count, records: rows))
    }

    static func auditRow(_ r: AuditRecord) -> AdminViews.AuditRow {
        let prevHex = AdminAccess.hex(r.prevHash), hashHex = AdminAccess.hex(r.hash)
        return AdminViews.AuditRow(id: r.id, occurredAt: r.occurredAt.formatted(.iso8601), chain: r.chain, seq: r.seq, actor: r.actor, action: r.action,
                                   merchant: r.merchant ?? "", payout: r.payoutID, prevHash: prevHex, prevShort: String(prevHex.prefix(12)), hash: hashHex,
                                   hashShort: String(hashHex.prefix(12)), link: "", detail: r.detail)
    }

    // MARK: rendering

    /// An HTML page with headers that keep it private and inert: no scripts may run
    /// (CSP), nothing is cached, and no referrer leaves it.
    static func page(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = AdminTemplates.library.render(ScalarEscapedView(view), withTemplate: template) ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `application/x-www-form-urlencoded` (a query string or a form body): `+` is a space.
    static func fields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            let key = decode(parts[0])
            if out[key] == nil { out[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return out
    }
}

/// Lets a request through to the dashboard's pages only with the admin token or a session
/// signed under it in the current generation; anything else gets the sign-in page with 401.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let access: AdminAccess
    let sessions: AdminSessionStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch access.credential(request) {
        case .bearer(valid: true):
            return try await next(request, context)
        case .session(generation: let generation?) where generation == (try await sessions.generation()):
            return try await next(request, context)
        case .bearer(valid: false):
            return AdminController.loginResponse("That token is not valid.", status: .unauthorized)
        case .session, .none:
            return AdminController.loginResponse(nil, status: .unauthorized)
        }
    }
}
