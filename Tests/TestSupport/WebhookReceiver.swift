import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import Testing

/// A tenant's webhook receiver, written for the tests from docs/webhooks.md alone: it
/// parses `Hongbao-Signature` and checks it with its own HMAC-SHA256 (built here from
/// SHA-256, not the gateway's signer), and records every request in arrival order.
/// Each path `/hooks/<name>` behaves as `behave(name, …)` says.
public final class WebhookReceiver: Sendable {
    public enum Behaviour: Sendable {
        case ok
        /// 500 for the first n requests, then 200.
        case failFirst(Int)
        case alwaysFail
        /// Answers only after this long (longer than the dispatcher's timeout).
        case hang(Duration)
        /// 500 for the first n requests of this event of this payout, 200 for everything else.
        case failEvent(String, payout: String, times: Int)
    }

    public struct Received: Sendable {
        public let name: String
        public let event: String?
        public let delivery: String?
        public let attempt: String?
        public let contentType: String?
        public let signature: String?
        public let body: [UInt8]
        public let at: ContinuousClock.Instant
        /// The signature checked out with the secret this receiver was given.
        public let verified: Bool
        /// What the receiver answered.
        public let status: Int

        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    private struct State {
        var behaviours: [String: Behaviour] = [:]
        var secrets: [String: String] = [:]
        var received: [Received] = []
        var counts: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func behave(_ name: String, _ behaviour: Behaviour) { state.withLock { $0.behaviours[name] = behaviour } }
    public func secret(_ name: String, _ secret: String) { state.withLock { $0.secrets[name] = secret } }
    public var received: [Received] { state.withLock { $0.received } }
    public var secretsSnapshot: [String: String] { state.withLock { $0.secrets } }
    public func received(_ name: String) -> [Received] { received.filter { $0.name == name } }

    /// Waits until `condition` holds for what arrived (up to `seconds`).
    public func wait(seconds: Double = 15, _ what: String, until condition: ([Received]) -> Bool) async throws -> [Received] {
        let arrived = try await waitFor(timeout: .milliseconds(Int(seconds * 1000)), every: .milliseconds(25)) { () -> [Received]? in
            let all = received
            return condition(all) ? all : nil
        }
        if let arrived { return arrived }
        Issue.record("timed out waiting for \(what); received \(received.map { "\($0.name) \($0.event ?? "-") \($0.status)" })")
        return received
    }

    public func app() -> some ApplicationProtocol {
        let router = Router()
        router.post("/hooks/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
            let header = { (field: String) in request.headers[HTTPField.Name(field)!] }
            let event = header("Hongbao-Event")
            let payout = ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]).flatMap { $0["data"] as? [String: Any] }?["id"] as? String
            let (behaviour, secret, count) = self.state.withLock { state -> (Behaviour, String?, Int) in
                let behaviour = state.behaviours[name] ?? .ok
                // Requests so far to this name, or of this event of this payout.
                let key = if case .failEvent = behaviour { [name, event ?? "", payout ?? ""].joined(separator: "|") } else { name }
                state.counts[key, default: 0] += 1
                return (behaviour, state.secrets[name], state.counts[key]!)
            }
            var status = 200
            switch behaviour {
            case .ok: break
            case .failFirst(let n): if count <= n { status = 500 }
            case .alwaysFail: status = 500
            case .hang(let duration): try? await Task.sleep(for: duration) // a slow receiver is the behaviour asked for
            case .failEvent(let failing, let target, let times): if failing == event && target == payout && count <= times { status = 500 }
            }
            let signature = header("Hongbao-Signature")
            let verified = secret.map { Self.verify(signature: signature, body: body, secret: $0) } ?? false
            let received = Received(name: name, event: event, delivery: header("Hongbao-Delivery"), attempt: header("Hongbao-Attempt"),
                                    contentType: header("Content-Type"), signature: signature, body: body, at: .now, verified: verified, status: status)
            self.state.withLock { $0.received.append(received) }
            return Response(status: .init(code: status))
        }
        var logger = Logger(label: "test.receiver")
        logger.logLevel = .critical
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
    }

    /// docs/webhooks.md: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, t within 5 minutes.
    public static func verify(signature: String?, body: [UInt8], secret: String) -> Bool {
        guard let signature else { return false }
        var parts: [String: String] = [:]
        for item in signature.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { parts[String(pair[0])] = String(pair[1]) }
        }
        guard let t = parts["t"], let timestamp = Int64(t), let v1 = parts["v1"] else { return false }
        guard abs(Int64(Date().timeIntervalSince1970) - timestamp) <= 300 else { return false }
        let expected = hmacSHA256(key: Array(secret.utf8), message: Array("\(t).".utf8) + body).map { String(format: "%02x", $0) }.joined()
        return expected == v1
    }

    /// RFC 2104 over SHA-256, by hand, so a shared bug with the gateway's signer cannot hide.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var block = key.count > blockSize ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        let inner = Array(SHA256.hash(data: block.map { $0 ^ 0x36 } + message))
        return Array(SHA256.hash(data: block.map { $0 ^ 0x5C } + inner))
    }
}
