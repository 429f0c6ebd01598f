import Foundation
import Merchants
import WeChatPay

/// The WeChat calls a payout makes, built from what the gateway recorded — so a resend
/// of a billno is always the identical request (re-entrancy, reference §4.2).
enum UpstreamCalls {
    /// The APIs that send money (as `payout_attempts.api` records them); the others only ask.
    static let sendAPIs = ["sendredpack", "sendgroupredpack"]

    /// sendredpack, or sendgroupredpack for a fission packet.
    static func send(_ payout: Payout, as merchant: any MerchantConfig, client: WeChatPayClient) async -> (CallOutcome<SendResult>, PayoutLedger.Attempt) {
        let fields = RedPacketFields(billno: payout.billno, merchantID: payout.mchID, appID: payout.appID, sendName: payout.sendName,
                                     openID: payout.openID, amountFen: payout.amountFen, wishing: payout.wishing, actName: payout.actName,
                                     remark: payout.remark, sceneID: payout.sceneID, riskInfo: payout.riskInfo)
        let started = Date()
        let outcome: CallOutcome<SendResult>
        let api: String
        do {
            switch payout.kind {
            case .normal:
                api = "sendredpack"
                outcome = try await client.call(SendRedPack(packet: fields, clientIP: payout.clientIP ?? "127.0.0.1"), as: merchant.credentials)
            case .group:
                api = "sendgroupredpack"
                outcome = try await client.call(SendGroupRedPack(packet: fields, shares: payout.totalNum), as: merchant.credentials)
            }
        } catch {
            // Refused before sending (validated already when accepted, so a bug): nothing left.
            let failure = WeChatPayFailure(code: "PARAM_ERROR", message: error.description, rule: ErrorCatalog.rule(for: "PARAM_ERROR", family: .redPacket))
            let refused = CallOutcome<SendResult>.failure(failure)
            return (refused, attempt(payout.kind == .group ? "sendgroupredpack" : "sendredpack", started, refused))
        }
        return (outcome, attempt(api, started, outcome))
    }

    /// gethbinfo for the payout's current billno.
    static func query(_ payout: Payout, as merchant: any MerchantConfig, client: WeChatPayClient) async -> (CallOutcome<RedPacketInfo>, PayoutLedger.Attempt) {
        let started = Date()
        let outcome: CallOutcome<RedPacketInfo>
        do {
            outcome = try await client.call(QueryRedPack(billno: payout.billno, merchantID: payout.mchID, appID: payout.appID), as: merchant.credentials)
        } catch {
            let failure = WeChatPayFailure(code: "PARAM_ERROR", message: error.description, rule: ErrorCatalog.rule(for: "PARAM_ERROR", family: .redPacketQuery))
            outcome = .failure(failure)
        }
        return (outcome, attempt("gethbinfo", started, outcome))
    }

    static func attempt<R>(_ api: String, _ started: Date, _ outcome: CallOutcome<R>) -> PayoutLedger.Attempt {
        switch outcome {
        case .success:
            return .init(api: api, startedAt: started, finishedAt: Date(), outcome: "success", failure: nil)
        case .notSent(let reason):
            return .init(api: api, startedAt: started, finishedAt: Date(), outcome: "not_sent",
                         failure: Payout.Failure(code: SendVerdict.Codes.notSent, message: reason, retryClass: "C"))
        case .failure(let f):
            return .init(api: api, startedAt: started, finishedAt: Date(), outcome: f.outcomeUnknown ? "unknown" : "failure",
                         failure: Payout.Failure(code: f.code, message: f.message, retryClass: f.rule.retryClass.rawValue))
        }
    }
}
