import Foundation
import Simulator
import Testing
import TestSupport
@testable import Transport
import WeChatPay
#if canImport(Glibc)
import Glibc
#endif

@Suite("Transport: libcurl mTLS client")
struct TransportTests {
    func queryBody(_ m: MerchantCredentials) throws -> [UInt8] {
        Array(try QueryRedPack(billno: "B1", merchantID: m.merchantID, appID: "wx8888888888888888").body(key: m.apiKey.reveal()).utf8)
    }

    func post(_ sim: SimulatorHarness, _ m: MerchantCredentials, identity: ClientIdentity?) async throws -> TransportOutcome {
        await sim.transport.post(m.baseURL + QueryRedPack.path, body: try queryBody(m), identity: identity)
    }

    func isNotSent(_ outcome: TransportOutcome) -> Bool { if case .notSent = outcome { true } else { false } }
    func isUnknown(_ outcome: TransportOutcome) -> Bool { if case .unknown = outcome { true } else { false } }

    @Test("a client certificate from the simulator's CA gets an answer")
    func success() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let outcome = try await post(sim, m, identity: m.identity)
            guard case .response(200, let body) = outcome else { Issue.record("expected a 200 answer, got \(outcome)"); return }
            #expect(try WeChatXML.decode(body)["err_code"] == "NOT_FOUND")
        }
    }

    @Test("a server certificate from a CA we do not trust is notSent")
    func untrustedServer() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let noRoots = ClientIdentity(name: "x", certificate: try #require(m.identity.certificate), privateKey: try #require(m.identity.privateKey), extraTrustRootsFile: nil)
            let outcome = try await post(sim, m, identity: noRoots)
            #expect(isNotSent(outcome), "\(outcome)")
        }
    }

    @Test("a client certificate not from the simulator's CA is refused in the handshake: notSent")
    func wrongCA() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let stranger = try SimulatorCA.generate().issueClient(merchantID: m.merchantID)
            let identity = ClientIdentity(name: "stranger", certificate: .pem(Array(stranger.certificatePEM.utf8)),
                                          privateKey: .pem(Secret(stranger.keyPEM)), extraTrustRootsFile: sim.server.caFile)
            let outcome = try await post(sim, m, identity: identity)
            #expect(isNotSent(outcome), "\(outcome)")
        }
    }

    @Test("no client certificate at all is refused in the handshake: notSent")
    func noClientCertificate() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            // Trust the simulator's CA through a client without an identity: only the roots matter here.
            let outcome = await sim.transport.post(m.baseURL + QueryRedPack.path, body: try queryBody(m),
                                                   identity: ClientIdentity.trustOnly(name: "anonymous", extraTrustRootsFile: sim.server.caFile))
            #expect(isNotSent(outcome), "\(outcome)")
        }
    }

    @Test("connection refused is notSent")
    func refused() async throws {
        let client = HTTPSClient()
        defer { client.shutdown() }
        let port = try closedPort()
        let outcome = await client.post("https://127.0.0.1:\(port)/x", body: [1], identity: nil)
        #expect(isNotSent(outcome), "\(outcome)")
    }

    @Test("an unresolvable host is notSent")
    func dns() async throws {
        let client = HTTPSClient()
        defer { client.shutdown() }
        let outcome = await client.post("https://no-such-host.invalid/x", body: [1], identity: nil)
        #expect(isNotSent(outcome), "\(outcome)")
    }

    @Test("a server that accepts but never completes TLS times out as notSent")
    func handshakeTimeout() async throws {
        let (listener, port) = try silentListener()
        defer { close(listener) }
        let client = HTTPSClient(settings: TransportSettings(connectTimeout: .milliseconds(300), totalTimeout: .milliseconds(600)))
        defer { client.shutdown() }
        let outcome = await client.post("https://127.0.0.1:\(port)/x", body: [1], identity: nil)
        #expect(isNotSent(outcome), "\(outcome)")
    }

    @Test("a timeout after the request was sent is unknown")
    func timeoutAfterSend() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            try await sim.setFaults(FaultPlan(latencyMs: 10_000, rate: 1))
            // Its own client with a short timeout (the harness's client talks to the control API too),
            // long enough for the TLS handshake when every suite runs at once on two cores.
            let impatient = HTTPSClient(settings: TransportSettings(connectTimeout: .seconds(3), totalTimeout: .seconds(4)))
            defer { impatient.shutdown() }
            let outcome = await impatient.post(m.baseURL + QueryRedPack.path, body: try queryBody(m), identity: m.identity)
            #expect(isUnknown(outcome), "\(outcome)")
        }
    }

    @Test("a server closing the connection after reading the request is unknown")
    func closedAfterRequest() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            try await sim.setFaults(FaultPlan(dropAfterCommit: true, rate: 1))
            let outcome = try await post(sim, m, identity: m.identity)
            #expect(isUnknown(outcome), "\(outcome)")
        }
    }

    @Test("cancellation ends an in-flight call promptly as unknown")
    func cancellation() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let body = try queryBody(m)
            // A first call leaves a warm connection, so the second is written at once even on a
            // loaded machine (a call cancelled before it was written is rightly notSent).
            _ = await sim.transport.post(m.baseURL + QueryRedPack.path, body: body, identity: m.identity)
            try await sim.setFaults(FaultPlan(latencyMs: 8000, rate: 1)) // the answer would take 8 s
            let started = ContinuousClock.now
            let task = Task { await sim.transport.post(m.baseURL + QueryRedPack.path, body: body, identity: m.identity) }
            // Well into the 8 s answer: nothing says the call was written (the simulator
            // counts a call after its latency), so the wait is the scenario.
            try await Task.sleep(for: .milliseconds(1500))
            task.cancel()
            let outcome = await task.value
            #expect(ContinuousClock.now - started < .seconds(5), "ended by the cancellation, not by the answer")
            #expect(isUnknown(outcome), "\(outcome)")
        }
    }

    @Test("256 concurrent calls complete on one curl thread")
    func concurrency() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            try await sim.setFaults(FaultPlan(latencyMs: 300, rate: 1)) // keep them in flight together
            let body = try queryBody(m)
            // 256 TLS handshakes on a busy 2-core machine can take a while: be patient.
            let patient = HTTPSClient(settings: TransportSettings(connectTimeout: .seconds(30), totalTimeout: .seconds(60)))
            defer { patient.shutdown() }
            let outcomes = await withTaskGroup(of: TransportOutcome.self) { group in
                for _ in 0..<256 {
                    group.addTask { await patient.post(m.baseURL + QueryRedPack.path, body: body, identity: m.identity) }
                }
                return await group.reduce(into: [TransportOutcome]()) { $0.append($1) }
            }
            let answered = outcomes.filter { if case .response(200, _) = $0 { true } else { false } }.count
            #expect(outcomes.count == 256 && answered == 256, "\(outcomes.filter { if case .response(200, _) = $0 { false } else { true } }.prefix(3))")
            // Threads curl starts inherit its loop thread's name, so this counts every thread the
            // client ran on (other suites' threads, in this same process, do not count).
            #expect(threads(named: patient.threadName) == 1, "in-flight calls must not each take a thread")
        }
    }

    func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }

    /// A port nothing listens on.
    func closedPort() throws -> Int {
        let (fd, port) = try silentListener()
        close(fd)
        return port
    }

    func silentListener() throws -> (Int32, Int) { try ClientLifecycleScenarios.silentListener() }
}

@Suite("HTTPSClient lifecycle (also run under AddressSanitizer by scripts/asan-transport.sh)")
struct ClientLifecycleTests {
    @Test("shutdown, cancel and deinit in every order end every call with an outcome", arguments: ClientLifecycleScenarios.all.map(\.name))
    func scenario(_ name: String) async throws {
        let run = try #require(ClientLifecycleScenarios.all.first { $0.name == name }?.run)
        try await run()
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

@Suite("Transport: one call, one request")
struct TransportSingleRequestTests {
    @Test("a request whose reused connection dies without an answer is never sent again by the transport: one request at the server, unknown")
    func neverResentByCurl() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let client = HTTPSClient()
            let body = { (billno: String) in
                Array(try QueryRedPack(billno: billno, merchantID: m.merchantID, appID: "wx8888888888888888").body(key: m.apiKey.reveal()).utf8)
            }
            // The first call leaves a kept-alive connection; the second goes out on it.
            guard case .response(200, _) = await client.post(m.baseURL + QueryRedPack.path, body: try body("B1"), identity: m.identity) else {
                throw TestSetupError("the first call got no answer")
            }
            try await sim.setFaults(FaultPlan(dropAfterCommit: true, rate: 1))
            let outcome = await client.post(m.baseURL + QueryRedPack.path, body: try body("B2"), identity: m.identity)
            try await sim.setFaults(nil)
            guard case .unknown = outcome else { throw TestSetupError("expected unknown, got \(outcome)") }
            #expect(try await sim.requests()["gethbinfo"]?[m.merchantID] == 2, "the server saw each call once")
            client.shutdown()
        }
    }
}
