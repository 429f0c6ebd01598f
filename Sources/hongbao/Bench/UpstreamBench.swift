import ArgumentParser
import Foundation
import Transport
import WeChatPay

/// sendredpack straight to a running simulator (no gateway) with N clients: the baseline
/// the gateway's added latency is measured against, over the same mTLS and keep-alive.
struct UpstreamBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream",
        abstract: "sendredpack/s and p50/p99 straight to a running simulator (the gateway benchmark's baseline).",
        discussion: "Example:\n  hongbao bench upstream --ca-file .hongbao/sim/ca.pem --clients 8")

    @Option(help: "The simulator's control API.") var control = "http://127.0.0.1:9080"
    @Option(help: "The simulator's HTTPS base URL.") var base = "https://127.0.0.1:9443"
    @Option(help: "The simulator's CA certificate.") var caFile: String
    @Option(help: "mch_id of the account this benchmark creates (10 digits).") var mchId = "1900009999"
    @Option(help: "Concurrent clients.") var clients = 8
    @Option(help: "Seconds to measure (after a 1 s warm-up).") var seconds = 10.0

    func run() async throws {
        let transport = HTTPSClient(settings: TransportSettings(maximumCachedConnections: clients * 2))
        defer { transport.shutdown() }
        let merchant = try await createAccount(transport)
        let client = WeChatPayClient(transport: transport)
        let day = BusinessCalendar.day(of: Date()).compact
        let run = UInt64.random(in: 0..<1_000_000)
        let result = await LatencyLoad.run(clients: clients, seconds: seconds) { worker, n in
            let serial = String(run * 10_000 + UInt64(worker * 1_000_000 + n) % 10_000_000_000)
            let digits = String(repeating: "0", count: max(0, 10 - serial.count)) + serial.suffix(10)
            let packet = RedPacketFields(billno: merchant.merchantID + day + digits, merchantID: merchant.merchantID, appID: "wx8888888888888888",
                                         sendName: "bench", openID: "oU\(worker)x\(n)", amountFen: 100, wishing: "w", actName: "bench", remark: "r")
            guard case .success = try? await client.call(SendRedPack(packet: packet, clientIP: "127.0.0.1"), as: merchant) else { return .failed }
            return .succeeded
        }
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }

    /// An account whose limits are never what is measured.
    func createAccount(_ transport: HTTPSClient) async throws -> MerchantCredentials {
        let spec = #"{"mch_id":"\#(mchId)","appids":[{"id":"wx8888888888888888","type":"mp"}],"onboarded_on":"2020-01-01","trading_since":"2020-01-01","redpack_enabled":true,"balance_fen":900000000000,"ip_whitelist":[],"limits":{"per_minute":100000000,"per_user_per_day":100000000,"min_fen":100,"max_fen":20000,"daily_fen":900000000000}}"#
        guard case .response(let status, let body) = await transport.post(control + "/_sim/accounts", body: Array(spec.utf8), contentType: "application/json", identity: nil),
              (200..<300).contains(status),
              let created = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let key = created["api_key"] as? String, let cert = created["cert_pem"] as? String, let privateKey = created["key_pem"] as? String else {
            throw CLIError("could not create the benchmark account in the simulator at \(control)")
        }
        return MerchantCredentials(merchantID: mchId, baseURL: base, apiKey: Secret(key),
                                   identity: ClientIdentity(name: "upstream-bench", certificate: .pem(Array(cert.utf8)),
                                                            privateKey: .pem(Secret(privateKey)), extraTrustRootsFile: caFile))
    }
}
