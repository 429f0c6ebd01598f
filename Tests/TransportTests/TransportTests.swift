import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay
#if canImport(Glibc)
import Glibc
#endif

@Suite("Transport: libcurl mTLS client")
struct TransportTests {
    func queryBody(_ m: MerchantCredentials) throws -> [UInt8] {
        Array(try QueryRedPack(billno: "B1", merchantID: m.merchantID, appID: "wx8888888888888888").body(key: m.apiKey.reveal()).utf8)
    }

    @Test("a client certificate from the simulator's CA gets an answer")
    func success() async throws {
        let sim = try await SimulatorHarness.start()
        defer { Task { await sim.stop() } }
        let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
        let outcome = await sim.transport.post(m.baseURL + QueryRedPack.path, body: try queryBody(m), identity: m.identity)
        guard case .response(200, let body) = outcome else { Issue.record("\(outcome)"); return }
        #expect(try WeChatXML.decode(body)["err_code"] == "NOT_FOUND")
    }

    @Test("an untrusted server certificate is refused before anything is sent")
    func untrustedServer() async throws {
        let sim = try await SimulatorHarness.start()
        defer { Task { await sim.stop() } }
        let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
        let noRoots = ClientIdentity(name: "x", certificate: m.identity.certificate, privateKey: m.identity.privateKey, extraTrustRootsFile: nil)
        let outcome = await sim.transport.post(m.baseURL + QueryRedPack.path, body: try queryBody(m), identity: noRoots)
        guard case .notSent = outcome else { Issue.record("expected notSent, got \(outcome)"); return }
    }

    @Test("a client certificate from another CA gets no answer")
    func wrongCA() async throws {
        let sim = try await SimulatorHarness.start()
        defer { Task { await sim.stop() } }
        let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
        let stranger = try SimulatorCA.generate().issueClient(merchantID: m.merchantID)
        let identity = ClientIdentity(name: "stranger", certificate: .pem(Array(stranger.certificatePEM.utf8)),
                                      privateKey: .pem(Secret(stranger.keyPEM)), extraTrustRootsFile: sim.server.caFile)
        let outcome = await sim.transport.post(m.baseURL + QueryRedPack.path, body: try queryBody(m), identity: identity)
        if case .response = outcome { Issue.record("a foreign certificate must not be served") }
        #expect(try await sim.ledger().packets.isEmpty)
    }

    @Test("connection refused is notSent")
    func refused() async throws {
        let client = HTTPSClient()
        defer { client.shutdown() }
        let port = try closedPort()
        guard case .notSent = await client.post("https://127.0.0.1:\(port)/x", body: [1], identity: nil) else { Issue.record("expected notSent"); return }
    }

    @Test("a server that accepts but never completes TLS times out as notSent")
    func handshakeTimeout() async throws {
        let (listener, port) = try silentListener()
        defer { close(listener) }
        let client = HTTPSClient(settings: TransportSettings(connectTimeout: .milliseconds(300), totalTimeout: .milliseconds(600)))
        defer { client.shutdown() }
        let outcome = await client.post("https://127.0.0.1:\(port)/x", body: [1], identity: nil)
        guard case .notSent = outcome else { Issue.record("expected notSent, got \(outcome)"); return }
    }

    @Test("a timeout after the request was sent is unknown")
    func timeoutAfterSend() async throws {
        let sim = try await SimulatorHarness.start(settings: TransportSettings(totalTimeout: .milliseconds(500)))
        defer { Task { await sim.stop() } }
        let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
        try await sim.setFaults(FaultPlan(latencyMs: 2000, rate: 1))
        let outcome = await sim.transport.post(m.baseURL + QueryRedPack.path, body: try queryBody(m), identity: m.identity)
        guard case .unknown = outcome else { Issue.record("expected unknown, got \(outcome)"); return }
    }

    @Test("cancellation ends an in-flight call promptly as unknown")
    func cancellation() async throws {
        let sim = try await SimulatorHarness.start()
        defer { Task { await sim.stop() } }
        let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
        try await sim.setFaults(FaultPlan(latencyMs: 5000, rate: 1))
        let body = try queryBody(m)
        let started = ContinuousClock.now
        let task = Task { await sim.transport.post(m.baseURL + QueryRedPack.path, body: body, identity: m.identity) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let outcome = await task.value
        #expect(ContinuousClock.now - started < .seconds(2))
        guard case .unknown = outcome else { Issue.record("expected unknown, got \(outcome)"); return }
    }

    @Test("256 concurrent calls complete on one curl thread")
    func concurrency() async throws {
        let sim = try await SimulatorHarness.start()
        defer { Task { await sim.stop() } }
        let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
        try await sim.setFaults(FaultPlan(latencyMs: 300, rate: 1)) // keep them in flight together
        let body = try queryBody(m)
        let threadsBefore = threadCount()
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<256 {
                group.addTask {
                    if case .response(let status, _) = await sim.transport.post(m.baseURL + QueryRedPack.path, body: body, identity: m.identity) { return status }
                    return -1
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 256 && statuses.allSatisfy { $0 == 200 })
        #expect(threadCount() - threadsBefore < 64, "in-flight calls must not each take a thread")
    }

    func threadCount() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("Threads:") }.flatMap { Int($0.split(separator: "\t").last ?? "") } ?? 0
    }

    /// A port nothing listens on.
    func closedPort() throws -> Int {
        let (fd, port) = try silentListener()
        close(fd)
        return port
    }

    /// A TCP socket that is listening (so connects succeed) but never reads or answers.
    func silentListener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { throw TestSetupError("could not listen") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

@Suite("Secret")
struct SecretTests {
    @Test("a secret never prints, dumps or encodes")
    func redaction() throws {
        let secret = Secret("192006250b4c09247ec02edce69f6a2d")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("1920"))
        struct Holder: Encodable { let key: Secret }
        let json = String(decoding: try JSONEncoder().encode(Holder(key: secret)), as: UTF8.self)
        #expect(json == #"{"key":"<redacted>"}"#)
        #expect(secret.reveal().hasPrefix("1920"))
    }
}
