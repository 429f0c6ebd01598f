import Foundation
import Merchants
import WeChatPay

/// The connector of the wechatpay.v2 kinds (APIv2 XML, MD5, mutual TLS): the WeChat calls
/// a payout makes, built from what the gateway recorded — so a resend of a billno is always
/// the identical request (re-entrancy, reference §4.2) — and their answers in the payout's
/// terms (`SendAnswer`, `StatusAnswer`). The only place that chooses a wire API by the
/// payout's kind (red packet, group packet, transfer). How the requests name the merchant
/// is the kind's `WeChatPayV2Addressing`: directly (`wechatpay.v2`), or as a service
/// provider for a sub-merchant (`wechatpay.v2.partner`).
struct WeChatPayV2Connector: PayoutConnector {
    let client: WeChatPayClient
    var addressing: any WeChatPayV2Addressing = WeChatPayV2DirectAddressing()

    /// The APIs that send money (as `payout_attempts.api` records them); the others only ask.
    static let sendAPIs = ["sendredpack", "sendgroupredpack", "transfers"]
    /// The APIs that only ask.
    static let queryAPIs = ["gethbinfo", "gettransferinfo"]
    var sendAPIs: [String] { Self.sendAPIs }
    var queryAPIs: [String] { Self.queryAPIs }
    var isStopping: Bool { client.isShutDown }

    /// sendredpack, sendgroupredpack, or promotion/transfers, by the payout's kind.
    func send(_ payout: Payout, as merchant: any MerchantConfig) async -> (CallOutcome<SendAnswer>, PayoutLedger.Attempt) {
        let started = Date()
        let api = sendAPI(payout.kind)
        let outcome: CallOutcome<SendAnswer>
        do {
            switch payout.kind {
            case .normal:
                let packet = try addressing.packet(fields(payout), as: merchant)
                outcome = try await client.call(SendRedPack(packet: packet, clientIP: payout.clientIP ?? "127.0.0.1"), as: merchant.credentials)
                    .map { SendAnswer(orderID: $0.sendListID) }
            case .group:
                let packet = try addressing.packet(fields(payout), as: merchant)
                outcome = try await client.call(SendGroupRedPack(packet: packet, shares: payout.totalNum), as: merchant.credentials)
                    .map { SendAnswer(orderID: $0.sendListID) }
            case .transfer:
                try addressing.checkTransfers(as: merchant)
                outcome = try await client.call(transfer(payout), as: merchant.credentials).map { SendAnswer(orderID: $0.paymentNumber) }
            }
        } catch {
            // Refused before sending (validated already when accepted, so a bug): nothing left.
            let family: ErrorCatalog.Family = payout.kind == .transfer ? .transfer : .redPacket
            let refused = CallOutcome<SendAnswer>.failure(WeChatPayFailure(code: "PARAM_ERROR", message: error.description,
                                                                            rule: ErrorCatalog.rule(for: "PARAM_ERROR", family: family)))
            return (refused, .record(payout.mchID, payout.billno, api, started, refused))
        }
        return (outcome, .record(payout.mchID, payout.billno, api, started, outcome))
    }

    /// gethbinfo or gettransferinfo for one of the payout's billnos (its current one, or
    /// an earlier one closed as failed and queried again).
    func query(_ payout: Payout, billno send: SendRef, as merchant: any MerchantConfig) async -> (CallOutcome<StatusAnswer>, PayoutLedger.Attempt) {
        let started = Date()
        let outcome: CallOutcome<StatusAnswer>
        let api = payout.kind == .transfer ? "gettransferinfo" : "gethbinfo"
        do {
            if payout.kind == .transfer {
                outcome = try await client.call(QueryTransfer(tradeNumber: send.billno, merchantID: send.mchID, appID: payout.appID), as: merchant.credentials)
                    .map { StatusAnswer($0, payout: payout) }
            } else {
                let (merchantID, appID) = try addressing.queryAddress(send, appID: payout.appID, as: merchant)
                outcome = try await client.call(QueryRedPack(billno: send.billno, merchantID: merchantID, appID: appID, totalAmountFen: payout.amountFen),
                                                as: merchant.credentials)
                    .map { StatusAnswer($0) }
            }
        } catch {
            let family: ErrorCatalog.Family = payout.kind == .transfer ? .transferQuery : .redPacketQuery
            outcome = .failure(WeChatPayFailure(code: "PARAM_ERROR", message: error.description, rule: ErrorCatalog.rule(for: "PARAM_ERROR", family: family)))
        }
        return (outcome, .record(send.mchID, send.billno, api, started, outcome))
    }

    func sendAPI(_ kind: Payout.Kind) -> String {
        switch kind {
        case .normal: "sendredpack"
        case .group: "sendgroupredpack"
        case .transfer: "transfers"
        }
    }

    func fields(_ payout: Payout) -> RedPacketFields {
        RedPacketFields(billno: payout.billno, merchantID: payout.mchID, appID: payout.appID, sendName: payout.sendName, openID: payout.openID,
                        amountFen: payout.amountFen, wishing: payout.wishing, actName: payout.actName, remark: payout.remark,
                        sceneID: payout.sceneID, riskInfo: payout.riskInfo)
    }

    /// partner_trade_no is the payout's billno (the same layout fits its 32 characters).
    func transfer(_ payout: Payout) -> Transfer {
        Transfer(tradeNumber: payout.billno, merchantID: payout.mchID, appID: payout.appID, openID: payout.openID,
                 nameCheck: payout.checkName == Transfer.NameCheck.force.rawValue ? .force : .none, userName: payout.userName,
                 amountFen: payout.amountFen, description: payout.description ?? "", clientIP: payout.clientIP ?? "127.0.0.1")
    }
}
