import ArgumentParser
import Foundation
import Merchants
import TOMLKit
import Transport
import WeChatPay

struct SimulatorRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Create a simulator account for every merchants.d entity and write its secrets.",
        discussion: """
            For development: each entity's facts (mch_id, appids and types, onboarding and \
            trading dates, product switch, egress_ips as the whitelist, limits) become a simulator \
            account; the API key, client certificate and private key it issues are written \
            to the files the TOML names (api_key.file, cert, key.file), so the entity then \
            loads and passes `hongbao merchant check`. An existing key file is kept.

            Example:
              hongbao simulator register --control http://127.0.0.1:9080 --merchants merchants.d
            """)

    @OptionGroup var merchants: MerchantOptions
    @Option(help: "The simulator's control API.") var control = "http://127.0.0.1:9080"
    @Option(help: "Balance of each account, in fen.") var balanceFen: Int64 = 100_000_000

    func run() async throws {
        let transport = HTTPSClient()
        defer { transport.shutdown() }
        let files = try FileManager.default.contentsOfDirectory(at: merchants.url, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "toml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        for file in files {
            let document = try TOMLDecoder().decode(WeChatPayV2Merchant.Document.self, from: try String(contentsOf: file, encoding: .utf8))
            let base = file.deletingLastPathComponent()
            guard case .file(let keyFile) = document.apiKey, case .file(let privateKeyFile) = document.key else {
                throw CLIError("\(file.lastPathComponent): register needs api_key and key as { file = … }")
            }
            let apiKeyPath = resolve(keyFile, base)
            let existingKey = (try? String(contentsOfFile: apiKeyPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            var account: [String: Any] = [
                "mch_id": document.mchID,
                "appids": document.appids.map { ["id": $0.id, "type": $0.type.rawValue] },
                "onboarded_on": document.onboardedOn.description, "trading_since": document.tradingSince.description,
                "redpack_enabled": document.redpackEnabled, "balance_fen": balanceFen, "ip_whitelist": document.egressIPs ?? [],
            ]
            if let existingKey, existingKey.count == 32 { account["api_key"] = existingKey }
            // WeChat's view of the merchant's limits is what the file says the gateway enforces.
            let limits = document.limits?.resolved ?? .defaults
            account["limits"] = ["per_minute": limits.perMinute, "per_user_per_day": limits.perUserPerDay, "min_fen": limits.minFen,
                                 "max_fen": limits.maxFen, "daily_fen": limits.dailyFen]
            let body = try JSONSerialization.data(withJSONObject: account)
            guard case .response(let status, let answer) = await transport.post(control + "/_sim/accounts", body: Array(body), contentType: "application/json", identity: nil),
                  (200..<300).contains(status),
                  let created = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
                  let apiKey = created["api_key"] as? String, let cert = created["cert_pem"] as? String, let key = created["key_pem"] as? String else {
                throw CLIError("\(file.lastPathComponent): the simulator at \(control) did not create the account")
            }
            try write(apiKey, to: apiKeyPath, mode: 0o600)
            try write(cert, to: resolve(document.cert, base), mode: 0o644)
            try write(key, to: resolve(privateKeyFile, base), mode: 0o600)
            print("registered \(document.name) (mch_id \(document.mchID)) in the simulator")
        }
    }

    func resolve(_ path: String, _ base: URL) -> String { path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardized.path }

    func write(_ text: String, to path: String, mode: Int) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Created with its mode before anything is written into it; a file that cannot be made is an error, not a 0644 one.
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: mode]) else {
            throw CLIError("cannot create \(path)")
        }
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
