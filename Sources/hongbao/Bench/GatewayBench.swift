import ArgumentParser
import Foundation
import Transport

/// `POST /v1/redpacks` against a running gateway with N keep-alive clients: sends/s and
/// latency. Every request has its own Idempotency-Key and openid (no limit is the bottleneck).
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "POST /v1/redpacks/s and p50/p99 against a running gateway (scripts/bench.sh starts one).",
        discussion: "Example:\n  hongbao bench gateway --key \"$(cat .hongbao/demo-api-key)\" --clients 8 --seconds 10")

    @Option(help: "The gateway's base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "A test-mode API key.") var key: String
    @Option(help: "The appid the bench entities serve.") var appid = "wx8888888888888888"
    @Option(help: "Concurrent clients.") var clients = 8
    @Option(help: "Seconds to measure (after a 1 s warm-up).") var seconds = 10.0

    func run() async throws {
        let http = HTTPSClient(settings: TransportSettings(totalTimeout: .seconds(30), maximumCachedConnections: clients * 2))
        defer { http.shutdown() }
        let run = UUID().uuidString.prefix(8)
        let endpoint = url + "/v1/redpacks", key = self.key, appid = self.appid
        let result = await LatencyLoad.run(clients: clients, seconds: seconds) { client, n in
            let body = #"{"appid":"\#(appid)","openid":"oB\#(run)\#(client)x\#(n)","amount_fen":100,"wishing":"w","act_name":"bench","remark":"r"}"#
            let outcome = await http.post(endpoint, body: Array(body.utf8), contentType: "application/json",
                                          headers: ["Authorization: Bearer \(key)", "Idempotency-Key: \(run)-\(client)-\(n)"], timeout: nil)
            if case .response(201, _) = outcome { return true }
            return false
        }
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }
}
