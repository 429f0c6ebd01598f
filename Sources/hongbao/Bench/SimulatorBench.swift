import ArgumentParser
import Foundation
import Logging
import Synchronization
import Simulator
import Transport
import WeChatPay

/// sendredpack/s through the simulator with N concurrent mTLS keep-alive clients,
/// beside a no-op HTTPS endpoint on the same server (the baseline).
struct SimulatorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "sendredpack/s through an in-process simulator vs a no-op mTLS endpoint.",
        discussion: """
            Every send is a new packet (unique 28-character billno), so the simulator's state \
            grows for the whole run: comparing a short and a long run shows whether its cost \
            per request stays constant. Example: hongbao bench simulator --clients 64 --seconds 120
            """
    )

    @Option(help: "Concurrent clients.") var clients = 64
    @Option(help: "Seconds per measurement.") var seconds = 10.0
    @Option(help: "Seconds of sends before measuring (TLS handshakes, caches), not counted in the rate.") var warmup = 2.0
    @Flag(help: "Skip the no-op baseline.") var noBaseline = false
    @Option(help: ArgumentHelp("Instead of throughput: commit N packets in-process through the ledger's real commit path and report RSS per million stored packets.", valueName: "N"))
    var rssPackets: Int?

    func run() async throws {
        if let rssPackets {
            print(try await SimulatorMemoryBench.measure(packets: rssPackets))
            return
        }
        var logger = Logger(label: "bench.simulator")
        logger.logLevel = .critical
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-bench-sim-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try SimulatorServer(configuration: SimulatorConfiguration(port: 0, controlPort: 0, stateDirectory: directory), logger: logger)
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        guard let ports = await server.ports() else { throw CLIError("simulator did not start") }
        let transport = HTTPSClient(settings: TransportSettings(maximumCachedConnections: clients * 2))
        defer { transport.shutdown() }
        let merchant = try await Self.createMerchant(transport: transport, control: "http://127.0.0.1:\(ports.control)",
                                                     base: "https://127.0.0.1:\(ports.https)", caFile: server.caFile)
        let client = WeChatPayClient(transport: transport)
        let counter = Sequence64()
        let send: @Sendable (Int) async throws -> Void = { worker in
            // mch_id (10) + date (8) + 10 digits = 28 characters, unique for 10^10 sends.
            let n = counter.next()
            let digits = String(n)
            let packet = RedPacketFields(
                billno: merchant.merchantID + "20261129" + String(repeating: "0", count: 10 - digits.count) + digits,
                merchantID: merchant.merchantID, appID: "wx8888888888888888", sendName: "bench", openID: "oBench\(worker)_\(n % 1000)",
                amountFen: 100, wishing: "w", actName: "a", remark: "r")
            guard case .success = try await client.call(SendRedPack(packet: packet, clientIP: "127.0.0.1"), as: merchant) else {
                throw CLIError("a benchmark send failed")
            }
        }
        if warmup > 0 { _ = try await measureThroughput(clients: clients, seconds: warmup, send) }
        // Measured in windows of at most 10 s, so a long run shows its trend, not just its mean.
        var intervals: [Double] = []
        var left = seconds
        while left > 0.001 {
            let window = min(10, left)
            intervals.append(try await measureThroughput(clients: clients, seconds: window, send) * window)
            left -= window
        }
        let sends = intervals.reduce(0, +) / seconds
        let perWindow = intervals.enumerated().map { index, ops in String(Int(ops / min(10, seconds - Double(index) * 10))) }
        var pings = 0.0
        if !noBaseline {
            let pingURL = "https://127.0.0.1:\(ports.https)/_sim/ping"
            pings = try await measureThroughput(clients: clients, seconds: seconds) { _ in
                guard case .response(200, _) = await transport.post(pingURL, body: Array("<xml></xml>".utf8), identity: merchant.identity) else {
                    throw CLIError("a benchmark ping failed")
                }
            }
        }
        print(#"{"bench":"simulator","clients":\#(clients),"seconds":\#(seconds),"packets":\#(counter.current),"sendredpack_per_s":\#(Int(sends)),"noop_per_s":\#(Int(pings)),"windows_per_s":[\#(perWindow.joined(separator: ","))]}"#)
    }

    static func createMerchant(transport: HTTPSClient, control: String, base: String, caFile: String) async throws -> MerchantCredentials {
        let spec = #"{"mch_id":"1900000109","appids":[{"id":"wx8888888888888888","type":"mp"}],"onboarded_on":"2020-01-01","trading_since":"2020-01-01","redpack_enabled":true,"balance_fen":900000000000,"ip_whitelist":[],"limits":{"per_minute":100000000,"per_user_per_day":100000000,"min_fen":100,"max_fen":20000,"daily_fen":900000000000}}"#
        guard case .response(201, let body) = await transport.post(control + "/_sim/accounts", body: Array(spec.utf8), contentType: "application/json", identity: nil),
              let created = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let key = created["api_key"] as? String, let cert = created["cert_pem"] as? String, let privateKey = created["key_pem"] as? String else {
            throw CLIError("could not create the benchmark merchant")
        }
        return MerchantCredentials(merchantID: "1900000109", baseURL: base, apiKey: Secret(key),
                                   identity: ClientIdentity(name: "bench", certificate: .pem(Array(cert.utf8)), privateKey: .pem(Secret(privateKey)), extraTrustRootsFile: caFile))
    }
}

/// RSS per million stored packets: commits packets in-process through the ledger's real
/// commit path and reads VmRSS from /proc/self/status before and after.
enum SimulatorMemoryBench {
    static func measure(packets: Int) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-bench-simmem-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let count = packets
        let line = try await Task.detached { () throws -> String in
            let probe = try LedgerMemoryProbe(directory: directory)
            _ = probe.commit(first: 0, count: 1000) // warm up: texts, appid table, journal buffer
            let before = Self.residentKilobytes()
            let accepted = probe.commit(first: 1000, count: count)
            let after = Self.residentKilobytes()
            let stored = probe.storedPackets
            probe.close()
            guard accepted == count else { throw CLIError("only \(accepted) of \(count) packets were accepted") }
            let perPacket = Double(after - before) * 1024 / Double(count)
            return #"{"bench":"simulator_memory","packets":\#(count),"stored":\#(stored),"rss_before_mb":\#(before / 1024),"rss_after_mb":\#(after / 1024),"bytes_per_packet":\#(Int(perPacket)),"mb_per_million":\#(Int(perPacket * 1_000_000 / 1_048_576)),"record_stride":\#(LedgerMemoryProbe.recordStride)}"#
        }.value
        return line
    }

    static func residentKilobytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

/// A shared counter for unique billnos across benchmark workers.
final class Sequence64: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
    var current: Int { value.load(ordering: .relaxed) }
}
