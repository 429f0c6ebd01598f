@testable import API
import Campaigns
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Tenants
import Testing
import Webhooks

/// The tenant API as the gateway builds it (`buildTenantRouter`), with API keys from a
/// table and a fake payout engine whose orders the test can read. Responses are read
/// with the test's own decoding, never with the generated types.
struct TenantAPIFixture {
    static let liveKey = APIKey.generate(mode: .live).text
    static let unknownKey = APIKey.generate(mode: .live).text
    static let expiredKey = APIKey.generate(mode: .live).text
    static let revokedKey = APIKey.generate(mode: .test).text
    static let disabledKey = APIKey.generate(mode: .live).text
    static let acme = Caller(keyID: UUID(), lookup: APIKey(parsing: liveKey)!.lookup, mode: .live, tenantID: UUID(), tenantName: "acme",
                             dailyBudgetFen: nil)

    struct Keys: APIKeyVerifier {
        func verify(_ key: APIKey) async throws -> APIKeyVerdict {
            switch key.text {
            case TenantAPIFixture.liveKey: .valid(TenantAPIFixture.acme)
            case TenantAPIFixture.expiredKey: .expired
            case TenantAPIFixture.revokedKey: .revoked
            case TenantAPIFixture.disabledKey: .tenantDisabled
            default: .unknown
            }
        }
    }

    /// An order as the fake engine received it.
    struct Order: Sendable {
        let order: PayoutOrder
        let tenant: Caller
        let idempotencyKey: String
        let requestID: String
    }

    /// Every order the fake engine received.
    final class Orders: Sendable {
        private let orders = Mutex<[Order]>([])
        func record(_ order: Order) { orders.withLock { $0.append(order) } }
        var all: [Order] { orders.withLock { $0 } }
    }

    /// The engine, faked: records the order and answers with `answer`'s red packet (stored
    /// answer: 201 when the send is settled, else 202), or throws what `answer` throws.
    struct FakeEngine: PayoutPort {
        let orders: Orders
        let answer: @Sendable (Order) async throws -> Components.Schemas.Redpack

        func submit(_ order: PayoutOrder, caller: Caller, idempotencyKey: String, requestID: String,
                    render: @escaping PayoutRenderer) async throws -> PayoutEngine.Submission {
            let recorded = Order(order: order, tenant: caller, idempotencyKey: idempotencyKey, requestID: requestID)
            orders.record(recorded)
            let redpack = try await answer(recorded)
            let settled = TenantAPI.settled(redpack.status)
            return .answered(StoredResponse(status: settled ? 201 : 202, body: Array(try RedpackRendering.encoder.encode(redpack))))
        }

        func payout(_ id: UUID, caller: Caller) async throws -> Payout? { throw Problem(.notImplemented) }
        func refresh(_ id: UUID, caller: Caller, requestID: String) async throws -> Payout? { throw Problem(.notImplemented) }
        func list(caller: Caller, filter: PayoutFilter) async throws -> PayoutPage { throw Problem(.notImplemented) }
        func usage(caller: Caller, now: Date) async throws -> TenantUsage { throw Problem(.notImplemented) }
    }

    /// No webhook store behind these routes (WebhookAPITests use the real one).
    struct NoWebhooks: WebhookPort {
        func create(caller: Caller, url: String, events: [WebhookEventType]?, description: String?, requestID: String) async throws -> CreatedWebhookEndpoint {
            throw Problem(.notImplemented)
        }
        func list(caller: Caller) async throws -> [WebhookEndpoint] { throw Problem(.notImplemented) }
        func remove(_ id: UUID, caller: Caller, requestID: String) async throws -> Bool { throw Problem(.notImplemented) }
    }

    struct NoCampaigns: CampaignPort {
        func create(_ draft: CampaignDraft, caller: Caller, requestID: String) async throws -> Campaign { throw Problem(.notImplemented) }
        func list(caller: Caller) async throws -> [Campaign] { throw Problem(.notImplemented) }
        func find(_ id: UUID, caller: Caller) async throws -> Campaign? { throw Problem(.notImplemented) }
        func apply(_ action: CampaignStatus.Action, to id: UUID, caller: Caller, requestID: String) async throws -> Campaign {
            throw Problem(.notImplemented)
        }
        func stats(_ id: UUID, caller: Caller) async throws -> CampaignStats? { throw Problem(.notImplemented) }
        func update(_ id: UUID, changes: CampaignChanges, caller: Caller, requestID: String) async throws -> Campaign { throw Problem(.notImplemented) }
        func report(_ event: CampaignEvents.Event, to id: UUID, caller: Caller, requestID: String) async throws -> CampaignEvents.Answer {
            throw Problem(.notImplemented)
        }
        func send(campaign id: UUID, openID: String, metadata: [String: String]?, caller: Caller, idempotencyKey: String, requestID: String,
                  render: @escaping PayoutRenderer) async throws -> PayoutEngine.Submission {
            throw Problem(.notImplemented)
        }
    }

    let orders = Orders()
    /// Every line the gateway logged (at debug level and above).
    let logs = CapturedLogs()
    /// What the fake engine answers; by default the red packet was sent.
    var answer: @Sendable (Order) async throws -> Components.Schemas.Redpack = { order in
        TenantAPIFixture.redpack(for: order, status: .sent)
    }
    /// Runs inside the gateway's router (after the request id and problem middleware,
    /// before the tenant API), e.g. to strip Content-Length.
    var extraMiddleware: (any MiddlewareProtocol<Request, Response, APIRequestContext>)?

    func app() throws -> some ApplicationProtocol {
        let api = TenantAPI(payouts: FakeEngine(orders: orders, answer: answer), webhooks: NoWebhooks(), campaigns: NoCampaigns())
        let router: Router<APIRequestContext>
        if let extraMiddleware {
            router = Router(context: APIRequestContext.self)
            router.add(middleware: RequestIDMiddleware())
            router.add(middleware: ProblemMiddleware())
            router.add(middleware: extraMiddleware)
            try TenantAPIController(api: api, keys: Keys()).addRoutes(to: router)
        } else {
            router = try buildTenantRouter(api: api, keys: Keys())
        }
        return Application(router: router, logger: logs.logger)
    }

    /// What an engine would answer for `order` once it reached `status`.
    static func redpack(for recorded: Order, status: Components.Schemas.RedpackStatus) -> Components.Schemas.Redpack {
        let order = recorded.order
        let (appid, openid, amount, shares) = (order.appID, order.openID, order.amountFen, order.totalNum)
        let kind: Components.Schemas.Redpack.KindPayload = order.kind == .group ? .group : .normal
        let now = Date(timeIntervalSince1970: 1_764_460_800)
        return .init(id: "0b6f5cf2-36f0-4c38-9d1a-1b2f3c4d5e6f", object: .redpack, kind: kind, status: status, mode: .live,
                     merchant: "acme-sh", mchId: "1900000109", billno: "1900000109202511300000000001", appid: appid,
                     openid: openid, amountFen: amount, totalNum: shares, wishing: "w", actName: "a", remark: "r", sendName: "acme",
                     createdAt: now, updatedAt: now, sentAt: status == .sent ? now : nil, receivers: [])
    }
}

extension TestClientProtocol {
    /// A request as a tenant sends it: API key, Idempotency-Key, JSON.
    func send(_ method: HTTPRequest.Method = .post, _ uri: String, body: String? = nil, key: String? = TenantAPIFixture.liveKey,
              idempotencyKey: String? = "order-1", headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        if let idempotencyKey { headers.append(HTTPField(name: .init("Idempotency-Key")!, value: idempotencyKey)) }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

/// A problem+json body, read independently of the generated types.
struct ProblemBody: Decodable, Equatable {
    struct FieldError: Decodable, Equatable { let field: String; let message: String }
    struct Exclusion: Decodable, Equatable { let merchant: String; let code: String; let reason: String }
    let type: String
    let title: String
    let status: Int
    let code: String
    let detail: String
    let request_id: String
    let errors: [FieldError]?
    let exclusions: [Exclusion]?
}

extension TestResponse {
    /// The problem in this response, after checking it is `application/problem+json` and
    /// consistent with the status line and `X-Request-Id`.
    func problem(sourceLocation: SourceLocation = #_sourceLocation) throws -> ProblemBody {
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try JSONDecoder().decode(ProblemBody.self, from: Data(buffer: body))
        #expect(problem.status == Int(status.code), sourceLocation: sourceLocation)
        #expect(problem.type == "urn:hongbao:problem:\(problem.code)", sourceLocation: sourceLocation)
        #expect(problem.request_id == headers[.init("X-Request-Id")!], sourceLocation: sourceLocation)
        return problem
    }

    /// The body as a JSON object.
    func jsonObject() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }
}

/// Log lines, kept for the test to read.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "test.api") { _ in Handler(sink: self) }
        logger.logLevel = .debug
        return logger
    }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            sink.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
        }
    }
}
