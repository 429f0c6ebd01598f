import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay
#if canImport(Glibc)
import Glibc
#endif

/// The built `hongbao simulator` binary, killed with SIGKILL and restarted on its state dir.
@Suite("Simulator survives kill -9")
struct CrashRecoveryTests {
    /// A running `hongbao simulator serve --strict-durability` process.
    struct Running {
        let process: ChildProcess
        let https: Int
        let control: Int
    }

    static func start(_ directory: URL) async throws -> Running {
        let binary = Repository.root.appendingPathComponent(".build/debug/hongbao")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestSetupError("build the hongbao binary first (make test does)") }
        let (https, control) = (try Hongbao.freePort(), try Hongbao.freePort())
        let process = try ChildProcess([binary.path, "simulator", "serve", "--listen", "127.0.0.1:\(https)", "--control", "127.0.0.1:\(control)",
                                        "--state-dir", directory.path, "--strict-durability"], environment: ProcessInfo.processInfo.environment)
        let transport = HTTPSClient()
        defer { transport.shutdown() }
        let up = try await waitFor(timeout: .seconds(30), every: .milliseconds(50)) {
            if case .response(200, _) = await transport.get("http://127.0.0.1:\(control)/_sim/clock") { true } else { false }
        }
        guard up else {
            process.signal(SIGTERM)
            throw TestSetupError("the simulator did not come up on \(control)")
        }
        return Running(process: process, https: https, control: control)
    }

    static func summary(_ transport: HTTPSClient, _ running: Running) async throws -> LedgerBody.Account {
        guard case .response(200, let body) = await transport.get("http://127.0.0.1:\(running.control)/_sim/ledger/summary") else {
            throw TestSetupError("no summary")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try #require(try decoder.decode(SummaryBody.self, from: Data(body)).accounts.first)
    }

    @Test("after kill -9 a restart replays the journal: every committed packet's resend gets the same SUCCESS, and the balance does not move")
    func killAndRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-crash-\(UUID())")
        let transport = HTTPSClient()
        defer { transport.shutdown() }
        let client = WeChatPayClient(transport: transport)
        var running = try await Self.start(directory)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let spec = SimulatorHarness.qualifiedSpec(balanceFen: 1_000_000)
        guard case .response(201, let body) = await transport.post("http://127.0.0.1:\(running.control)/_sim/accounts", body: Array(try encoder.encode(spec)),
                                                                   contentType: "application/json", identity: nil) else {
            Issue.record("could not create the merchant")
            return
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let created = try decoder.decode(AccountCreatedBody.self, from: Data(body))
        let identity = ClientIdentity(name: created.mchId, certificate: .pem(Array(created.certPem.utf8)), privateKey: .pem(Secret(created.keyPem)),
                                      extraTrustRootsFile: directory.appendingPathComponent("ca.pem").path)
        func merchant(_ running: Running) -> MerchantCredentials {
            MerchantCredentials(merchantID: created.mchId, baseURL: "https://127.0.0.1:\(running.https)", apiKey: Secret(created.apiKey), identity: identity)
        }
        func packet(_ n: Int) -> SendRedPack {
            SendRedPack(packet: RedPacketFields(billno: billno(n), merchantID: created.mchId, appID: "wx8888888888888888", sendName: "ACME",
                                                openID: "o\(n)", amountFen: Int64(100 + n), wishing: "w", actName: "a", remark: "r"), clientIP: "127.0.0.1")
        }
        // Concurrent sends, so strict mode's group commit is what makes them durable.
        let before = merchant(running)
        let answered = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for n in 1...24 {
                group.addTask {
                    guard case .success(let result) = try await client.call(packet(n), as: before) else { return (n, nil) }
                    return (n, result.sendListID)
                }
            }
            var out: [Int: String] = [:]
            for try await (n, listid) in group { out[n] = listid }
            return out
        }
        #expect(answered.count == 24, "every send answered SUCCESS with a send_listid")
        let balance = try await Self.summary(transport, running).balanceFen
        let spent: Int64 = (1...24).reduce(0) { $0 + Int64(100 + $1) }
        #expect(balance == 1_000_000 - spent)

        running.process.signal(SIGKILL)
        #expect(try await running.process.exit(within: .seconds(30)) == -SIGKILL)
        running = try await Self.start(directory)
        defer {
            running.process.signal(SIGTERM)
            running.process.waitUntilExit()
        }
        let after = merchant(running)
        for n in 1...24 {
            guard case .success(let again) = try await client.call(packet(n), as: after) else { Issue.record("resend \(n) refused"); continue }
            #expect(again.sendListID == answered[n] ?? "missing", "packet \(n)")
        }
        let restarted = try await Self.summary(transport, running)
        #expect(restarted.balanceFen == balance && restarted.packetCount == 24, "resends moved no money")
    }
}
