import Tracing
import Transport

/// What the client needs to act as one merchant: where WeChat is, the APIv2 key, and
/// the merchant's TLS identity.
public struct MerchantCredentials: Sendable, CustomStringConvertible {
    public let merchantID: String
    public let baseURL: String
    public let apiKey: Secret
    public let identity: ClientIdentity

    public init(merchantID: String, baseURL: String, apiKey: Secret, identity: ClientIdentity) {
        self.merchantID = merchantID
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.identity = identity
    }

    public var description: String { "MerchantCredentials(\(merchantID) at \(baseURL))" }

    /// Who WeChat sees sign and present the request: the merchant number at its endpoint
    /// (scheme and host case-folded, no trailing slash). Entities with one signer share its
    /// key, certificate and request rate (a provider's sub-merchants).
    public var signer: String {
        var endpoint = baseURL.lowercased()
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        return merchantID + " " + endpoint
    }
}

/// Signs a request, posts it with the merchant's identity, and interprets the answer.
public struct WeChatPayClient: Sendable {
    let transport: HTTPSClient
    let observer: (@Sendable (UpstreamCall) -> Void)?

    /// `observer` hears of every call that went to the transport (metrics); it must not block.
    public init(transport: HTTPSClient, observer: (@Sendable (UpstreamCall) -> Void)? = nil) {
        self.transport = transport
        self.observer = observer
    }

    /// True once the transport is shutting down: a call that was not sent failed for this
    /// process's reason, not the merchant's.
    public var isShutDown: Bool { transport.isShutDown }

    /// Invalid requests throw before anything is sent; every other ending is an outcome.
    public func call<R: WeChatPayRequest>(_ request: R, as merchant: MerchantCredentials) async throws(RequestInvalid) -> CallOutcome<R.Response> {
        guard request.merchantID == merchant.merchantID else {
            throw RequestInvalid(errors: [FieldError("mch_id", "request is for \(request.merchantID) but the credentials are \(merchant.merchantID)")])
        }
        let key = merchant.apiKey.reveal()
        let body = try request.body(key: key)
        let url = merchant.baseURL.trimmingSuffix("/") + R.path
        let api = String(R.path.split(separator: "/").last ?? "")
        // A client span per call (a no-op unless `serve` bootstrapped a tracer): which API,
        // which merchant, how it ended. Never the body, the key or the user.
        return await withSpan("wechatpay \(api)", ofKind: .client) { span in
            span.attributes["wechatpay.api"] = api
            span.attributes["wechatpay.mch_id"] = merchant.merchantID
            let started = ContinuousClock.now
            let outcome: CallOutcome<R.Response>
            switch await transport.post(url, body: Array(body.utf8), identity: merchant.identity) {
            case .notSent(let reason):
                outcome = .notSent(reason)
            case .unknown(let reason):
                outcome = .failure(WeChatPayFailure(code: ErrorCatalog.Synthetic.transportUnknown, message: reason, rule: ErrorCatalog.unknownCode))
            case .response(let status, let answer):
                outcome = ResponseInterpreter.interpret(request, status: status, body: answer, key: key)
            }
            let call = UpstreamCall(api: api, merchantID: merchant.merchantID, duration: ContinuousClock.now - started, outcome: outcome)
            span.attributes["wechatpay.outcome"] = call.outcome
            if let code = call.errCode { span.attributes["wechatpay.err_code"] = code }
            observer?(call)
            return outcome
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
