import Foundation
import Merchants
import WeChatPay

/// The WeChat calls a payout makes, built from what the gateway recorded — so a resend
/// of a billno is always the identical request (re-entrancy, reference §4.2) — and their
/// answers in the payout's terms (`UpstreamAnswers`).
enum UpstreamCalls {
    /// The APIs that send money (as `payout_attempts.api` records them); the others only ask.
    static let sendAPIs = ["sendredpack", "sendgroupredpack", "transfers"]
    /// The APIs that only ask.
    static let queryAPIs = ["gethbinfo", "gettransferinfo"]

    /// sendredpack, sendgroupredpack, or promotion/transfers, by the payout's kind.
    static func send(_ payout: Payout, as merchant: any MerchantConfig, client: WeChatPayClient) async -> (CallOutcome<SendAnswer>, PayoutLedger.Attempt) {
        let started = Date()
        let api = sendAPI(payout.kind)
        let outcome: CallOutcome<SendAnswer>
        do {
            switch payout.kind {
            case .normal:
                outcome = try await client.call(SendRedPack(packet: fields(payout), clientIP: payout.clientIP ?? "127.0.0.1"), as: merchant.credentials)
                    .map { SendAnswer(orderID: $0.sendListID) }
            case .group:
                outcome = try await client.call(SendGroupRedPack(packet: fields(payout), shares: payout.totalNum), as: merchant.credentials)
                    .map { SendAnswer(orderID: $0.sendListID) }
            case .transfer:
                outcome = try await client.call(transfer(payout), as: merchant.credentials).map { SendAnswer(orderID: $0.paymentNumber) }
            }
        } catch {
            // Refused before sending (validated already when accepted, so a bug): nothing left.
            let family: ErrorCatalog.Family = payout.kind == .transfer ? .transfer : .redPacket
            let refused = CallOutcome<SendAnswer>.failure(WeChatPayFailure(code: "PARAM_ERROR", message: error.description,
                                                                            rule: ErrorCatalog.rule(for: "PARAM_ERROR", family: family)))
            return (refused, attempt(payout.mchID, payout.billno, api, started, refused))
        }
        return (outcome, attempt(payout.mchID, payout.billno, api, started, outcome))
    }

    /// gethbinfo or gettransferinfo for the payout's current billno.
    static func query(_ payout: Payout, as merchant: any MerchantConfig, client: WeChatPayClient) async -> (CallOutcome<StatusAnswer>, PayoutLedger.Attempt) {
        await query(payout, billno: SendRef(payout), as: merchant, client: client)
    }

    /// gethbinfo or gettransferinfo for one of the payout's billnos (its current one, or
    /// an earlier one closed as failed and queried again).
    static func query(_ payout: Payout, billno send: SendRef, as merchant: any MerchantConfig,
                      client: WeChatPayClient) async -> (CallOutcome<StatusAnswer>, PayoutLedger.Attempt) {
        let started = Date()
        let outcome: CallOutcome<StatusAnswer>
        let api = payout.kind == .transfer ? "gettransferinfo" : "gethbinfo"
        do {
            if payout.kind == .transfer {
                outcome = try await client.call(QueryTransfer(tradeNumber: send.billno, merchantID: send.mchID, appID: payout.appID), as: merchant.credentials)
                    .map { StatusAnswer($0, payout: payout) }
            } else {
                outcome = try await client.call(QueryRedPack(billno: send.billno, merchantID: send.mchID, appID: payout.appID), as: merchant.credentials)
                    .map { StatusAnswer($0) }
            }
        } catch {
            let family: ErrorCatalog.Family = payout.kind == .transfer ? .transferQuery : .redPacketQuery
            outcome = .failure(WeChatPayFailure(code: "PARAM_ERROR", message: error.description, rule: ErrorCatalog.rule(for: "PARAM_ERROR", family: family)))
        }
        return (outcome, attempt(send.mchID, send.billno, api, started, outcome))
    }

    static func sendAPI(_ kind: Payout.Kind) -> String {
        switch kind {
        case .normal: "sendredpack"
        case .group: "sendgroupredpack"
        case .transfer: "transfers"
        }
    }

    static func fields(_ payout: Payout) -> RedPacketFields {
        RedPacketFields(billno: payout.billno, merchantID: payout.mchID, appID: payout.appID, sendName: payout.sendName, openID: payout.openID,
                        amountFen: payout.amountFen, wishing: payout.wishing, actName: payout.actName, remark: payout.remark,
                        sceneID: payout.sceneID, riskInfo: payout.riskInfo)
    }

    /// partner_trade_no is the payout's billno (the same layout fits its 32 characters).
    static func transfer(_ payout: Payout) -> Transfer {
        Transfer(tradeNumber: payout.billno, merchantID: payout.mchID, appID: payout.appID, openID: payout.openID,
                 nameCheck: payout.checkName == Transfer.NameCheck.force.rawValue ? .force : .none, userName: payout.userName,
                 amountFen: payout.amountFen, description: payout.description ?? "", clientIP: payout.clientIP ?? "127.0.0.1")
    }

    static func attempt<R>(_ mchID: String, _ billno: String, _ api: String, _ started: Date, _ outcome: CallOutcome<R>) -> PayoutLedger.Attempt {
        let failure: Payout.Failure? = switch outcome {
        case .success: nil
        case .notSent(let reason): Payout.Failure(code: ErrorCatalog.Synthetic.notSent, message: reason, retryClass: "C")
        case .failure(let f): Payout.Failure(code: f.code, message: f.message, retryClass: f.rule.retryClass.rawValue)
        }
        return .init(mchID: mchID, billno: billno, api: api, startedAt: started, finishedAt: Date(), outcome: outcome.name, failure: failure)
    }
}

/// One billno of a payout, on the merchant number it was made for.
struct SendRef: Sendable, Equatable {
    let mchID: String
    let billno: String

    init(mchID: String, billno: String) {
        self.mchID = mchID
        self.billno = billno
    }

    /// The payout's current billno.
    init(_ payout: Payout) {
        self.init(mchID: payout.mchID, billno: payout.billno)
    }
}
