import ArgumentParser
import Audit
import Foundation
import Merchants
import Tenants
import WeChatPay

struct MerchantAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Validate a new entity completely and write it into merchants.d (audited).",
        discussion: """
            Either from an existing TOML file of any kind (--from) or from flags. Everything is \
            checked before anything is written: fields, the API key, the certificate and key, \
            that no other entity has the same name or (mch_id, appid), and that files naming \
            one merchant number agree on its key and certificate. Relative paths in the file \
            are resolved against the merchants directory. With --kind wechatpay.v2.partner the \
            flags describe a service provider's sub-merchant (docs/merchant-kinds.md): --mch-id, \
            the key and the certificate are the provider's; --sub-mch-id, --msgappid and the \
            dates are the sub-merchant's; --wxappid is the provider's appid.

            Examples:
              hongbao merchant add --from acme-sh.toml
              hongbao merchant add --name acme-sh --mch-id 1900000109 --appid wx8888888888888888:mp \
                --send-name ACME --api-key-file /etc/hongbao/acme.key \
                --cert /etc/hongbao/acme/apiclient_cert.pem --key-file /etc/hongbao/acme/apiclient_key.pem \
                --onboarded-on 2025-03-01 --trading-since 2025-04-02
              hongbao merchant add --kind wechatpay.v2.partner --name shop-a --mch-id 1900000200 \
                --sub-mch-id 1900000301 --wxappid wx8888888888888888 --msgappid wx3a3a3a3a3a3a3a3a \
                --send-name ShopA --api-key-file /etc/hongbao/sp.key --cert /etc/hongbao/sp/apiclient_cert.pem \
                --key-file /etc/hongbao/sp/apiclient_key.pem --onboarded-on 2025-03-01 --trading-since 2025-04-02
            """)

    @OptionGroup var merchants: MerchantOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var actor: ActorOption
    @Option(help: ArgumentHelp("Copy this TOML file (validated) into merchants.d.", valueName: "file")) var from: String?
    @Option(help: ArgumentHelp("The entity's kind: wechatpay.v2 (a direct merchant) or wechatpay.v2.partner (a service provider's sub-merchant).",
                               valueName: "kind")) var kind = WeChatPayV2Merchant.kind
    @Option(help: "Entity name (becomes <name>.toml).") var name: String?
    @Option(help: "WeChat Pay merchant id (a partner's: the provider's).") var mchId: String?
    @Option(help: "wechatpay.v2.partner: the sub-merchant's id (sub_mch_id).") var subMchId: String?
    @Option(help: "wechatpay.v2.partner: the provider's appid bound to its mch_id (wxappid).") var wxappid: String?
    @Option(help: "wechatpay.v2.partner: the appid whose openids the sub-merchant serves (msgappid).") var msgappid: String?
    @Option(help: "wechatpay.v2.partner: the merchant whose funds pay, if not the sub-merchant (consume_mch_id).") var consumeMchId: String?
    @Option(help: ArgumentHelp("appid and its type (mp, miniprogram, app); repeatable.", valueName: "id:type")) var appid: [String] = []
    @Option(help: "Default sender name (≤ 32 characters).") var sendName: String?
    @Option(help: "File holding the 32-character APIv2 key.") var apiKeyFile: String?
    @Option(help: "Environment variable holding the APIv2 key.") var apiKeyEnv: String?
    @Option(help: "API certificate (PEM).") var cert: String?
    @Option(help: "File holding the API private key (PEM).") var keyFile: String?
    @Option(help: "Environment variable holding the API private key (PEM).") var keyEnv: String?
    @Option(help: "WeChat Pay base URL.") var baseURL = "https://api.mch.weixin.qq.com"
    @Option(help: "Extra trust roots (PEM), e.g. the simulator's CA.") var caFile: String?
    @Option(help: "Onboarding date (YYYY-MM-DD).") var onboardedOn: String?
    @Option(help: "First day of the current normal-trading streak (YYYY-MM-DD).") var tradingSince: String?
    @Flag(inversion: .prefixedNo, help: "Whether the red packet product is enabled on the merchant platform.") var redpackEnabled = true
    @Option(help: "Tenant allowed to use it; repeatable; * for all.") var tenant: [String] = ["*"]
    @Option(help: "Lower is tried first.") var priority = 10
    @Option(help: "Share among equal priority.") var weight = 1
    @Option(help: "Whitelisted calling IP; repeatable.") var egressIP: [String] = []
    @Flag(help: "Print JSON: {\"name\", \"mch_id\", \"file\"}.") var json = false

    struct Added: Encodable {
        let name: String
        let mchID: String
        let file: String
        enum CodingKeys: String, CodingKey { case name, mchID = "mch_id", file }
    }

    func validate() throws {
        if from == nil {
            for (flag, value) in [("--name", name), ("--mch-id", mchId), ("--send-name", sendName), ("--cert", cert),
                                  ("--onboarded-on", onboardedOn), ("--trading-since", tradingSince)] where value == nil {
                throw ValidationError("\(flag) is required (or use --from FILE)")
            }
            switch kind {
            case WeChatPayV2Merchant.kind:
                if appid.isEmpty { throw ValidationError("--appid id:type is required at least once") }
            case WeChatPayV2PartnerMerchant.kind:
                for (flag, value) in [("--sub-mch-id", subMchId), ("--wxappid", wxappid), ("--msgappid", msgappid)] where value == nil {
                    throw ValidationError("\(flag) is required for --kind \(kind)")
                }
                if !appid.isEmpty { throw ValidationError("--appid is for wechatpay.v2; a sub-merchant's appid is --msgappid") }
            default:
                throw ValidationError("--kind must be \(WeChatPayV2Merchant.kind) or \(WeChatPayV2PartnerMerchant.kind) (other kinds: --from FILE)")
            }
            if (apiKeyFile == nil) == (apiKeyEnv == nil) { throw ValidationError("give exactly one of --api-key-file and --api-key-env") }
            if (keyFile == nil) == (keyEnv == nil) { throw ValidationError("give exactly one of --key-file and --key-env") }
        }
    }

    func run() async throws {
        let text = try from.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? tomlFromFlags()
        let entityName = from.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? name!
        let target = merchants.url.appendingPathComponent(entityName + ".toml")
        guard !FileManager.default.fileExists(atPath: target.path) else { throw CLIError("\(target.path) already exists") }
        let loader = merchants.loader()
        let existing: [any MerchantConfig]
        do { existing = try loader.load() } catch { throw CLIError("the merchants directory does not load as it is:\n\(error)") }
        let merchant: any MerchantConfig
        do { merchant = try loader.load(text: text, as: target) } catch { throw CLIError("\(error)") }
        let clashes = MerchantLoader.duplicates(existing + [merchant]) + MerchantLoader.disagreeingCredentials(existing + [merchant])
        guard clashes.isEmpty else { throw CLIError(clashes.map(\.description).joined(separator: "\n")) }
        let pool = try await database.connect()
        defer { pool.close() }
        // Order: validated above → temp file → audit committed → rename into place. A
        // failed (or retried) transaction then leaves no file and no duplicate write; the
        // temp name does not end in .toml, so no loader ever sees it half-way.
        let temporary = merchants.url.appendingPathComponent(".\(entityName).toml.\(UUID().uuidString).tmp")
        do { try Data(text.utf8).write(to: temporary, options: .withoutOverwriting) } catch {
            throw CLIError("cannot write into \(merchants.directory): \(error.localizedDescription)")
        }
        let actor = actor.actor
        let name = merchant.name, mchID = merchant.merchantID, file = target.path
        do {
            try await pool.transaction { connection in
                try AdminAudit.record(connection, actor: actor, action: "merchant.add", merchant: name, detail: ["mch_id": mchID, "file": file])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError("nothing was added: the audit record could not be written (\(error))")
        }
        // link(2) refuses to replace a file that appeared meanwhile; rename(2) would not.
        guard link(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw CLIError("audit recorded merchant.add, but \(target.path) could not be created (\(reason)); the validated file is \(temporary.path) — move it there")
        }
        try? FileManager.default.removeItem(at: temporary)
        if json { return try Output.printJSON(Added(name: merchant.name, mchID: merchant.merchantID, file: target.path)) }
        print("added \(merchant.name) (mch_id \(merchant.merchantID)) as \(target.path); run `hongbao merchant check \(merchant.name)` next")
    }

    func tomlFromFlags() throws -> String {
        let bindings = try appid.map { entry -> String in
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, AppIDType(rawValue: parts[1]) != nil else { throw ValidationError("--appid \(entry): use id:type with type mp, miniprogram or app") }
            return "{ id = \(quote(parts[0])), type = \(quote(parts[1])) }"
        }
        for (flag, value) in [("--onboarded-on", onboardedOn!), ("--trading-since", tradingSince!)] where BusinessDay(iso: value) == nil {
            throw ValidationError("\(flag) must be a YYYY-MM-DD date")
        }
        let identity = kind == WeChatPayV2PartnerMerchant.kind
            ? ["sub_mch_id = \(quote(subMchId!))", "wxappid = \(quote(wxappid!))", "msgappid = \(quote(msgappid!))"]
                + (consumeMchId.map { ["consume_mch_id = \(quote($0))"] } ?? [])
            : ["appids = [\(bindings.joined(separator: ", "))]"]
        var lines = ["kind = \(quote(kind))", "name = \(quote(name!))", "mch_id = \(quote(mchId!))"] + identity + [
            "send_name = \(quote(sendName!))",
            "api_key = " + (apiKeyFile.map { "{ file = \(quote($0)) }" } ?? "{ env = \(quote(apiKeyEnv!)) }"),
            "cert = \(quote(cert!))", "key = " + (keyFile.map { "{ file = \(quote($0)) }" } ?? "{ env = \(quote(keyEnv!)) }"),
            "base_url = \(quote(baseURL))", "onboarded_on = \(onboardedOn!)", "trading_since = \(tradingSince!)",
            "redpack_enabled = \(redpackEnabled)", "tenants = [\(tenant.map(quote).joined(separator: ", "))]",
            "priority = \(priority)", "weight = \(weight)",
        ]
        if let caFile { lines.append("ca_file = \(quote(caFile))") }
        if !egressIP.isEmpty { lines.append("egress_ips = [\(egressIP.map(quote).joined(separator: ", "))]") }
        return lines.joined(separator: "\n") + "\n"
    }

    func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
