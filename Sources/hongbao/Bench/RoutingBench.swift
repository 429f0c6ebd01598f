import ArgumentParser
import Foundation
import Merchants
import Transport
import WeChatPay

/// Routing decisions per second as the number of entities grows (spread over 100 appids),
/// and the time to load many merchants.d files.
struct RoutingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Routing decisions/s (production path) with 10, 1,000 and 10,000 entities; registry load time for 1,000 files.",
        discussion: "Example:\n  hongbao bench routing --seconds 3"
    )

    @Option(help: "Seconds per measurement.") var seconds = 3.0
    @Option(help: "Files for the load-time measurement.") var files = 1000

    /// Sizes are measured in interleaved rounds and each reported as its median, so a
    /// noisy moment on the machine does not land on one size only.
    func run() async throws {
        let sizes = [10, 1_000, 10_000]
        let snapshots = sizes.map { count in MerchantSnapshot((0..<count).map { BenchMerchant(index: $0) }) }
        var samples = [[Double]](repeating: [], count: sizes.count)
        let rounds = 5
        for _ in 0..<rounds {
            for (i, count) in sizes.enumerated() {
                samples[i].append(decisionsPerSecond(snapshots[i], appIDs: min(count, 100), seconds: seconds / Double(rounds)))
            }
        }
        let medians = samples.map { $0.sorted()[$0.count / 2] }
        let results = zip(sizes, medians).map { #""entities_\#($0)":\#(Int($1))"# }
        let loadSeconds = try await loadTime()
        print(#"{"bench":"routing",\#(results.joined(separator: ",")),"load_\#(files)_files_ms":\#(Int(loadSeconds * 1000))}"#)
    }

    /// Successful decisions per second through the production path (`MerchantRouter.route`,
    /// as the payout engine calls it), requests spread over the appids some entity serves.
    func decisionsPerSecond(_ snapshot: MerchantSnapshot, appIDs: Int, seconds: Double) -> Double {
        let router = MerchantRouter()
        let now = Date()
        let requests = (0..<1000).map { RouteRequest(tenant: "t", appID: BenchMerchant.appID($0 % appIDs), openID: "o\($0)", amountFen: 100) }
        var decisions = 0
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let started = ContinuousClock.now
        while ContinuousClock.now < deadline {
            for request in requests {
                if case .candidates = router.route(request, snapshot: snapshot, runtime: [:], now: now) {
                    decisions += 1
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        return Double(decisions) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Writes `files` entities (one certificate shared, as loading cost is per file) and loads them.
    func loadTime() async throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-bench-load-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (cert, key) = try BenchCertificate.make()
        try cert.write(to: directory.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try key.write(to: directory.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        try String(repeating: "k", count: 32).write(to: directory.appendingPathComponent("api.key"), atomically: true, encoding: .utf8)
        for secret in ["key.pem", "api.key"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.appendingPathComponent(secret).path)
        }
        for i in 0..<files {
            let text = """
                kind = "wechatpay.v2"
                name = "m\(i)"
                mch_id = "\(1_900_000_000 + i)"
                appids = [ { id = "\(BenchMerchant.appID(i % 100))", type = "mp" } ]
                send_name = "bench"
                api_key = { file = "api.key" }
                cert = "cert.pem"
                key = { file = "key.pem" }
                base_url = "https://127.0.0.1:9443"
                onboarded_on = 2020-01-01
                trading_since = 2020-01-01
                redpack_enabled = true
                tenants = ["*"]
                """
            try text.write(to: directory.appendingPathComponent("m\(i).toml"), atomically: true, encoding: .utf8)
        }
        let started = ContinuousClock.now
        let loaded = try MerchantLoader(directory: directory, environment: [:]).load()
        let elapsed = ContinuousClock.now - started
        guard loaded.count == files else { throw CLIError("loaded \(loaded.count) of \(files)") }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// An in-memory qualified entity for the routing benchmark.
struct BenchMerchant: MerchantConfig {
    let name: String
    let kind = "bench"
    let merchantID: String
    let appIDs: [AppIDBinding]
    let sendName = "bench"
    let credentials: MerchantCredentials
    let qualificationFacts = QualificationFacts(onboardedOn: BusinessDay(iso: "2020-01-01")!, tradingSince: BusinessDay(iso: "2020-01-01")!, redpackEnabled: true)
    let limits = MerchantLimits.defaults
    let transferLimits = MerchantLimits.transferDefaults
    let tenants = TenantScope.all
    let priority: Int
    let weight = 1
    let egressIPs: [String] = []
    let mode = MerchantMode.live
    let certificate = CertificateSummary(subject: "CN=bench", notValidAfter: Date().addingTimeInterval(86_400 * 365))
    let source = URL(fileURLWithPath: "/bench")

    static func appID(_ i: Int) -> String { "wxbench" + String(format: "%011d", i) }

    init(index: Int) {
        name = "m\(index)"
        merchantID = String(1_900_000_000 + index)
        appIDs = [AppIDBinding(id: Self.appID(index % 100), type: .officialAccount)]
        priority = index % 3
        credentials = MerchantCredentials(merchantID: merchantID, baseURL: "https://127.0.0.1:1", apiKey: Secret("k"),
                                          identity: ClientIdentity(name: name, certificate: .pem([]), privateKey: .pem(Secret(""))))
    }
}
