import Hummingbird
import NIOCore
import NIOSSL
import Synchronization
import WeChatPay

/// Request context of the HTTPS side: keeps the channel, whose TLS handler knows the
/// client certificate and whose remote address is the calling IP.
struct SimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// The WeChat Pay endpoints over HTTPS with a required client certificate.
struct WeChatEndpoint: Sendable {
    let ledger: SimLedger
    let faults: FaultSwitch
    let tally: RequestTally

    func addRoutes(to router: Router<SimRequestContext>) {
        // Same TLS and HTTP path as the APIs, no ledger work: a liveness probe and the
        // baseline `hongbao bench simulator` compares sendredpack against.
        router.post("/_sim/ping") { _, _ in xml(SimReply(SimAnswer.success([:])).xml) }
        for api in SimAPI.allCases {
            router.post(RouterPath(api.rawValue)) { request, context in
                try await handle(api, request, context)
            }
        }
    }

    func handle(_ api: SimAPI, _ request: Request, _ context: SimRequestContext) async throws -> Response {
        let plan = faults.current
        let (latency, fault) = plan?.draw(sends: api.sends) ?? (0, nil)
        if latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
        if fault == .dropBeforeCommit { return drop(context) }
        let body = try await request.body.collect(upTo: WeChatXML.maximumSize)
        let reply: SimReply
        do {
            let document = try WeChatXML.decode(Array(body.readableBytesView))
            tally.count(api, mchId: document[api.merchantField] ?? "")
            let certificate = try await context.channel.nioSSL_peerCertificate().get()?.toDERBytes()
            let callerIP = context.channel.remoteAddress?.ipAddress ?? ""
            ledger.commitDueOrders()
            if fault == .commitLate, let plan, let seconds = plan.commitLateSeconds {
                ledger.commitLate(api, document, certificate: certificate, callerIP: callerIP, seconds: seconds,
                                  resendCode: plan.lateResendCode ?? FaultPlan.defaultLateResendCode)
                return drop(context)
            }
            reply = ledger.handle(api, document, certificate: certificate, callerIP: callerIP)
            // Strict durability: nothing this answer depends on may be lost by a crash after it.
            await ledger.durable()
        } catch let error as WeChatXML.CodecError {
            reply = SimReply(SimAnswer.refusal("XML_ERROR", "输入xml参数格式错误: \(error.reason)"))
        }
        switch fault {
        case .dropAfterCommit: return drop(context)
        case .systemerror: return xml(SimReply(SimAnswer.error("SYSTEMERROR", "系统繁忙,请稍后再试.")).xml)
        case .http500: return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "<html><body>502 Bad Gateway</body></html>")))
        case .garbage: return xml("<xml><return_code><![CDATA[SUCC")
        case .dropBeforeCommit, .commitLate, nil: return xml(reply.xml)
        }
    }

    private func xml(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Closes the connection; the (empty) response is never written.
    private func drop(_ context: SimRequestContext) -> Response {
        context.channel.close(promise: nil)
        return Response(status: .ok)
    }
}

/// The fault plan now in force, changed by the control API.
final class FaultSwitch: Sendable {
    private let plan = Mutex<FaultPlan?>(nil)
    var current: FaultPlan? { plan.withLock { $0 } }
    func set(_ new: FaultPlan?) { plan.withLock { $0 = new } }
}
