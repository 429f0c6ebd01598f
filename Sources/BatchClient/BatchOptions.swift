import Foundation
import Payouts
import WeChatPay

/// What the send-batch command was given, as parsed: nothing checked yet. Messages name
/// the command's flags, since that is where a person fixes them.
public struct BatchOptions: Sendable {
    public var file: String?
    public var appid: String?
    /// Fen per red packet, as typed (checked here, never read as yuan).
    public var amount: String?
    public var actName: String?
    public var wishing: String?
    public var remark: String?
    /// A campaign's id: every line is one of its packets (it sets appid, wording, amount).
    public var campaign: String?
    public var concurrency = 4
    public var format: BatchFormat?
    public var gateway: String?
    public var apiKeyFile: String?
    public var results: String?
    /// Seconds: the longest Retry-After worth waiting for.
    public var maxRetryWait = 120
    /// Seconds between progress lines when stderr is not a terminal.
    public var progressInterval = 2.0
    public var dryRun = false
    public var json = false

    public init() {}

    public static let defaultGateway = "http://127.0.0.1:8080"
    public static let gatewayVariable = "HONGBAO_GATEWAY_URL"

    /// The options, checked before anything is read or sent.
    public func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws(BatchError) -> BatchSettings {
        guard let path = file else { throw BatchError.usage("give the FILE to send (see hongbao send-batch --help)") }
        if let campaign { return try campaignSettings(campaign, path: path, environment: environment) }
        guard let appid else { throw BatchError.usage("--appid is required: the appid the openids belong to") }
        guard let actName else { throw BatchError.usage("--act-name is required: the campaign name") }
        let format = format ?? BatchFormat.guess(path: path)
        var amountFen: Int64?
        if let amount {
            switch BatchAmount.fen(amount) {
            case .success(let fen): amountFen = fen
            case .failure(let error): throw BatchError.usage("--amount \(error.message)")
            }
        }
        if format == .txt {
            let missing = [("--amount", amount), ("--wishing", wishing), ("--remark", remark)].filter { $0.1 == nil }.map(\.0)
            if !missing.isEmpty {
                throw BatchError.usage("a file of openids needs \(missing.joined(separator: ", ")) (a CSV file may carry amount_fen, wishing and remark per row)")
            }
        }
        // The options against the API's rules once, rather than as the same problem on every line.
        let sample = PayoutOrder(kind: .normal, appID: appid, openID: "o", amountFen: amountFen ?? RedPacketFieldRules.plainAmountFen.lowerBound,
                                 wishing: wishing ?? "w", actName: actName, remark: remark ?? "r")
        let flags = ["appid": "--appid", "act_name": "--act-name", "wishing": "--wishing", "remark": "--remark", "amount_fen": "--amount"]
        if let problem = PayoutOrderRules.problems(sample).first(where: { flags[$0.field] != nil }) {
            throw BatchError.usage("\(flags[problem.field]!) \(problem.message)")
        }
        try checkRunOptions()
        let gateway = try Self.gatewayURL(gateway ?? environment[Self.gatewayVariable] ?? Self.defaultGateway)
        return BatchSettings(path: path, format: format,
                             defaults: BatchDefaults(appID: appid, amountFen: amountFen, actName: actName, wishing: wishing, remark: remark),
                             gateway: gateway, results: results ?? path + ".results.csv")
    }

    /// `--campaign`: the campaign sets the appid, the wording and the amount, so those
    /// options are refused rather than silently ignored.
    func campaignSettings(_ campaign: String, path: String, environment: [String: String]) throws(BatchError) -> BatchSettings {
        guard let id = UUID(uuidString: campaign) else { throw BatchError.usage("--campaign must be a campaign's id (a UUID), as GET /v1/campaigns shows it") }
        let set = [("--appid", appid), ("--amount", amount), ("--act-name", actName), ("--wishing", wishing), ("--remark", remark)]
            .filter { $0.1 != nil }.map(\.0)
        guard set.isEmpty else { throw BatchError.usage("\(set.joined(separator: ", ")) cannot be given with --campaign: the campaign sets them") }
        try checkRunOptions()
        let gateway = try Self.gatewayURL(gateway ?? environment[Self.gatewayVariable] ?? Self.defaultGateway)
        return BatchSettings(path: path, format: format ?? BatchFormat.guess(path: path), defaults: BatchDefaults(campaign: id), gateway: gateway,
                             results: results ?? path + ".results.csv")
    }

    func checkRunOptions() throws(BatchError) {
        guard (1...64).contains(concurrency) else { throw BatchError.usage("--concurrency must be 1–64") }
        guard maxRetryWait >= 0 else { throw BatchError.usage("--max-retry-wait must be 0 or more seconds") }
        guard progressInterval >= 0.05 else { throw BatchError.usage("--progress-interval must be at least 0.05 seconds") }
    }

    static func gatewayURL(_ text: String) throws(BatchError) -> String {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil else {
            throw BatchError.usage("the gateway URL \(text) is not an http(s) URL like https://hongbao.example.com")
        }
        // It is printed in progress and summaries, so it must not carry a password.
        guard url.user == nil, url.password == nil else {
            throw BatchError.usage("the gateway URL must not hold credentials; the API key goes in --api-key-file or HONGBAO_API_KEY")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
