import ArgumentParser
import Foundation
import Merchants
import Simulator
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

            A service provider's sub-merchants (kind wechatpay.v2.partner) become one provider \
            account per provider mch_id, with wxappid as its appid and each file as one of its \
            sub_merchants (its sub_mch_id, msgappid, facts and limits); the provider's secrets \
            are written once, to the files the first of them names.

            Example:
              hongbao simulator register --control http://127.0.0.1:9080 --merchants merchants.d
            """)

    @OptionGroup var merchants: MerchantOptions
    @Option(help: "The simulator's control API.") var control = "http://127.0.0.1:9080"
    @Option(help: "Balance of each account, in fen.") var balanceFen: Int64 = 100_000_000

    /// Where an account's issued secrets go.
    struct SecretFiles {
        let apiKey: String
        let cert: String
        let key: String
    }

    func run() async throws {
        let transport = HTTPSClient()
        defer { transport.shutdown() }
        let files = try FileManager.default.contentsOfDirectory(at: merchants.url, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "toml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        var providers: [String: [(file: URL, document: WeChatPayV2PartnerMerchant.Document)]] = [:]
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            switch try TOMLTable(string: text)["kind"]?.string {
            case WeChatPayV2Merchant.kind:
                let d = try TOMLDecoder().decode(WeChatPayV2Merchant.Document.self, from: text)
                let spec = SimAccountSpec(mchId: d.mchID, appids: d.appids.map { .init(id: $0.id, type: $0.type) }, onboardedOn: d.onboardedOn,
                                          tradingSince: d.tradingSince, redpackEnabled: d.redpackEnabled, balanceFen: balanceFen,
                                          ipWhitelist: d.egressIPs ?? [], limits: Self.simulated(d.limits))
                try await register(spec, secrets: try secretFiles(file, apiKey: d.apiKey, cert: d.cert, key: d.key), file: file, transport: transport)
                print("registered \(d.name) (mch_id \(d.mchID)) in the simulator")
            case WeChatPayV2PartnerMerchant.kind:
                let d = try TOMLDecoder().decode(WeChatPayV2PartnerMerchant.Document.self, from: text)
                providers[d.mchID, default: []].append((file, d))
            case let kind:
                print("skipped \(file.lastPathComponent): the simulator has no accounts of kind \(kind ?? "(none)")")
            }
        }
        for (mchID, subs) in providers.sorted(by: { $0.key < $1.key }) {
            let first = subs[0]
            // WeChat's view of each sub-merchant is what its file says the gateway enforces.
            let spec = SimAccountSpec(
                mchId: mchID, appids: [.init(id: first.document.wxappid, type: .officialAccount)],
                onboardedOn: subs.map(\.document.onboardedOn).min()!, tradingSince: subs.map(\.document.tradingSince).min()!,
                balanceFen: balanceFen, ipWhitelist: Array(Set(subs.flatMap { $0.document.egressIPs ?? [] })).sorted(),
                subMerchants: subs.map { sub in
                    SimSubMerchantSpec(subMchId: sub.document.subMchID, appids: [.init(id: sub.document.msgappid, type: .officialAccount)],
                                       onboardedOn: sub.document.onboardedOn, tradingSince: sub.document.tradingSince,
                                       redpackEnabled: sub.document.redpackEnabled, balanceFen: balanceFen, limits: Self.simulated(sub.document.limits))
                })
            let secrets = try secretFiles(first.file, apiKey: first.document.apiKey, cert: first.document.cert, key: first.document.key)
            try await register(spec, secrets: secrets, file: first.file, transport: transport)
            print("registered provider \(mchID) with sub-merchants \(subs.map(\.document.name).joined(separator: ", ")) in the simulator")
        }
    }

    static func simulated(_ limits: WeChatPayV2Merchant.LimitsDocument?) -> SimAccountSpec.Limits {
        let l = limits?.resolved ?? .defaults
        return SimAccountSpec.Limits(perMinute: l.perMinute, perUserPerDay: l.perUserPerDay, minFen: l.minFen, maxFen: l.maxFen, dailyFen: l.dailyFen)
    }

    func secretFiles(_ file: URL, apiKey: SecretReference, cert: String, key: SecretReference) throws -> SecretFiles {
        guard case .file(let keyFile) = apiKey, case .file(let privateKeyFile) = key else {
            throw CLIError("\(file.lastPathComponent): register needs api_key and key as { file = … }")
        }
        let base = file.deletingLastPathComponent()
        return SecretFiles(apiKey: resolve(keyFile, base), cert: resolve(cert, base), key: resolve(privateKeyFile, base))
    }

    /// Creates the account (keeping an existing 32-character API key) and writes what it issued.
    func register(_ spec: SimAccountSpec, secrets: SecretFiles, file: URL, transport: HTTPSClient) async throws {
        var spec = spec
        let existingKey = (try? String(contentsOfFile: secrets.apiKey, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let existingKey, existingKey.count == 32 { spec.apiKey = existingKey }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let body = try encoder.encode(spec)
        guard case .response(let status, let answer) = await transport.post(control + "/_sim/accounts", body: Array(body), contentType: "application/json", identity: nil),
              (200..<300).contains(status),
              let created = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
              let apiKey = created["api_key"] as? String, let cert = created["cert_pem"] as? String, let key = created["key_pem"] as? String else {
            throw CLIError("\(file.lastPathComponent): the simulator at \(control) did not create the account")
        }
        try write(apiKey, to: secrets.apiKey, mode: 0o600)
        try write(cert, to: secrets.cert, mode: 0o644)
        try write(key, to: secrets.key, mode: 0o600)
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
