import ArgumentParser
import Foundation
import Transport

/// `POST /v1/redpacks` against running gateways with N keep-alive clients: sends/s and
/// latency. Every request has its own Idempotency-Key. The traffic's shape is set by the
/// flags: many tenants (`--keys-file`), many users over several appids (`--users`,
/// `--appid`), amounts spread (`--min-fen`/`--max-fen`), and several instances taken in
/// turn (`--url` repeated), as a round-robin balancer in front of them would.
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "POST /v1/redpacks/s and p50/p99 against running gateways (scripts/bench-gateway.sh starts them).",
        discussion: """
            A 429 answer (a limit or budget held) is counted as `refused`, any other failure as `errors`; \
            neither is timed.

            Examples:
              hongbao bench gateway --key "$(cat .hongbao/demo-api-key)" --clients 8 --seconds 10
              hongbao bench gateway --keys-file keys.txt --users 1000000 --appid wx1 --appid wx2 \\
                  --min-fen 100 --max-fen 20000 --url http://127.0.0.1:8080 --url http://127.0.0.1:8081 --clients 64
            """)

    @Option(help: "A gateway's base URL; repeat for several instances (requests go to each in turn).")
    var url: [String] = ["http://127.0.0.1:8080"]
    @Option(help: "A test-mode API key (or --keys-file).") var key: String?
    @Option(help: ArgumentHelp("A file with one test-mode API key per line, one per tenant; each request is a random tenant's.", valueName: "path"))
    var keysFile: String?
    @Option(help: "An appid the bench entities serve; repeat for several (a user belongs to one).")
    var appid: [String] = ["wx8888888888888888"]
    @Option(help: "Distinct users drawn from at random (0: every request a new user).") var users = 0
    @Option(help: "Smallest amount in fen (amounts are uniform between the two).") var minFen = 100
    @Option(help: "Largest amount in fen.") var maxFen = 100
    @Option(help: "Concurrent clients.") var clients = 8
    @Option(help: "Seconds to measure (after a 1 s warm-up).") var seconds = 10.0

    func validate() throws {
        guard (key == nil) != (keysFile == nil) else { throw ValidationError("give exactly one of --key and --keys-file") }
        guard !url.isEmpty, !appid.isEmpty else { throw ValidationError("give at least one --url and one --appid") }
        guard users >= 0, clients > 0, seconds > 0 else { throw ValidationError("--users, --clients and --seconds must be positive") }
        guard 1 <= minFen, minFen <= maxFen else { throw ValidationError("--min-fen must be at least 1 and at most --max-fen") }
    }

    func run() async throws {
        let keys = try keysFile.map { path in
            try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        } ?? [key!]
        guard !keys.isEmpty else { throw CLIError("\(keysFile ?? "the keys file") holds no key") }
        let http = HTTPSClient(settings: TransportSettings(totalTimeout: .seconds(30), maximumCachedConnections: clients * 2 * url.count))
        defer { http.shutdown() }
        let run = UUID().uuidString.prefix(8)
        let endpoints = url.map { $0 + "/v1/redpacks" }, appids = appid, users = self.users, amounts = minFen...maxFen
        let result = await LatencyLoad.run(clients: clients, seconds: seconds) { client, n in
            let user = users > 0 ? Int.random(in: 0..<users) : client * 1_000_000_000 + n
            let openid = users > 0 ? "oU\(user)" : "oB\(run)\(client)x\(n)"
            let body = #"{"appid":"\#(appids[user % appids.count])","openid":"\#(openid)","amount_fen":\#(Int.random(in: amounts)),"wishing":"w","act_name":"bench","remark":"r"}"#
            let outcome = await http.post(endpoints[(client + n) % endpoints.count], body: Array(body.utf8), contentType: "application/json",
                                          headers: ["Authorization: Bearer \(keys.randomElement()!)", "Idempotency-Key: \(run)-\(client)-\(n)"],
                                          timeout: nil)
            switch outcome {
            case .response(201, _): return .succeeded
            case .response(429, _): return .refused
            default: return .failed
            }
        }
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }
}
