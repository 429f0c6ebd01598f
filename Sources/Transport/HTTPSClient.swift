import CCurl
import Foundation
import Synchronization

/// HTTPS POSTs through one curl multi handle on one dedicated thread.
public final class HTTPSClient: Sendable {
    private let loop: CurlLoop

    public init(settings: TransportSettings = TransportSettings()) {
        CurlGlobal.initialize()
        self.loop = CurlLoop(settings: settings)
    }

    /// True once `shutdown` began (its calls end `notSent` for this process's reason, not the server's).
    public var isShutDown: Bool { loop.stopping }

    /// POSTs `body` to `url` presenting `identity`. Never throws: every ending is an outcome.
    public func post(_ url: String, body: [UInt8], contentType: String = "text/xml; charset=utf-8", identity: ClientIdentity?) async -> TransportOutcome {
        await perform(CurlCall(url: url, method: .post, body: body, contentType: contentType, identity: identity))
    }

    /// POSTs with extra request headers (`Name: value`) and, optionally, a shorter timeout
    /// than the client's (webhook deliveries: a receiver that hangs must not hold a slot)
    /// and an address the caller resolved and checked (`pin`: no proxy, no second lookup).
    public func post(_ url: String, body: [UInt8], contentType: String, headers: [String], timeout: Duration?,
                     pin: AddressPin? = nil) async -> TransportOutcome {
        await perform(CurlCall(url: url, method: .post, body: body, contentType: contentType, identity: nil, extraHeaders: headers,
                               timeout: timeout, pin: pin))
    }

    /// POSTs like `post(_:body:contentType:headers:timeout:pin:)` and also reports the answer's
    /// `Retry-After` (delta-seconds or an HTTP date, as curl parses it; nil when absent or 0),
    /// for callers that back off on 429 and 503.
    public func postReportingRetryAfter(_ url: String, body: [UInt8], contentType: String, headers: [String],
                                        timeout: Duration?) async -> (outcome: TransportOutcome, retryAfter: Duration?) {
        let call = CurlCall(url: url, method: .post, body: body, contentType: contentType, identity: nil, extraHeaders: headers, timeout: timeout)
        let outcome = await perform(call)
        // Written on the loop thread before `finish` resumed this task, so read after it.
        return (outcome, call.retryAfterSeconds > 0 ? .seconds(call.retryAfterSeconds) : nil)
    }

    /// GETs `url` (control and health endpoints; WeChat's APIs are all POST).
    public func get(_ url: String, identity: ClientIdentity? = nil) async -> TransportOutcome {
        await perform(CurlCall(url: url, method: .get, body: [], contentType: "", identity: identity))
    }

    /// DELETEs `url` (control endpoints).
    public func delete(_ url: String, identity: ClientIdentity? = nil) async -> TransportOutcome {
        await perform(CurlCall(url: url, method: .delete, body: [], contentType: "", identity: identity))
    }

    private func perform(_ call: CurlCall) async -> TransportOutcome {
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                call.continuation = continuation
                loop.submit(call)
            }
        } onCancel: {
            loop.cancel(call)
        }
    }

    /// The name of the one thread this client runs on (tests count threads by it).
    var threadName: String { loop.threadName }

    /// Stops the thread; calls still in flight end as `unknown`/`notSent`, later calls as
    /// `notSent`. Idempotent, and safe to follow with deinit.
    public func shutdown() { loop.stop() }

    deinit { loop.stop() }
}

/// One call's state. Created by the caller, then touched only on the loop thread
/// (except `cancelled`, which is atomic) — hence `@unchecked Sendable`.
final class CurlCall: @unchecked Sendable {
    enum Method { case get, post, delete }
    let url: String
    let method: Method
    let body: [UInt8]
    let contentType: String
    let identity: ClientIdentity?
    let extraHeaders: [String]
    let timeout: Duration?
    let pin: AddressPin?
    var continuation: CheckedContinuation<TransportOutcome, Never>?
    /// How much of `body` curl has taken to send (read on the loop's thread only).
    var bodyOffset = 0
    var received: [UInt8] = []
    var limit = Int.max
    var overflowed = false
    /// The answer's Retry-After in seconds (0: none), set when the call completes.
    var retryAfterSeconds = 0
    let cancelled = Atomic<Bool>(false)
    var headers: UnsafeMutablePointer<curl_slist>?
    /// The CURLOPT_CONNECT_TO list of `pin`; like `headers`, it must live until the call ends.
    var connectTo: UnsafeMutablePointer<curl_slist>?
    /// curl writes its detailed error text here (CURLOPT_ERRORBUFFER, CURL_ERROR_SIZE bytes).
    let errorBuffer: UnsafeMutablePointer<CChar>

    init(url: String, method: Method, body: [UInt8], contentType: String, identity: ClientIdentity?,
         extraHeaders: [String] = [], timeout: Duration? = nil, pin: AddressPin? = nil) {
        self.url = url
        self.method = method
        self.body = body
        self.contentType = contentType
        self.identity = identity
        self.extraHeaders = extraHeaders
        self.timeout = timeout
        self.pin = pin
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit { errorBuffer.deallocate() }

    var errorText: String { String(cString: errorBuffer) }

    func finish(_ outcome: TransportOutcome) {
        if let headers { curl_slist_free_all(headers) }
        headers = nil
        if let connectTo { curl_slist_free_all(connectTo) }
        connectTo = nil
        continuation?.resume(returning: outcome)
        continuation = nil
    }
}

enum CurlGlobal {
    private static let once: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    static func initialize() { _ = once }
}
