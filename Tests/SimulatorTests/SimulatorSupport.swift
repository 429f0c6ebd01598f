import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

/// Shorthands shared by the simulator suites.
extension SimulatorHarness {
    func packet(_ merchant: MerchantCredentials, billno: String, openID: String = "oUser1", amountFen: Int64 = 100,
                appID: String = "wx8888888888888888", sceneID: String? = nil) -> RedPacketFields {
        RedPacketFields(billno: billno, merchantID: merchant.merchantID, appID: appID, sendName: "ACME", openID: openID,
                        amountFen: amountFen, wishing: "恭喜发财", actName: "test", remark: "r", sceneID: sceneID)
    }

    func send(_ merchant: MerchantCredentials, billno: String, openID: String = "oUser1", amountFen: Int64 = 100,
              appID: String = "wx8888888888888888", sceneID: String? = nil) async throws -> CallOutcome<SendResult> {
        try await client.call(SendRedPack(packet: packet(merchant, billno: billno, openID: openID, amountFen: amountFen, appID: appID, sceneID: sceneID),
                                          clientIP: "127.0.0.1"), as: merchant)
    }

    func query(_ merchant: MerchantCredentials, billno: String, appID: String = "wx8888888888888888") async throws -> CallOutcome<RedPacketInfo> {
        try await client.call(QueryRedPack(billno: billno, merchantID: merchant.merchantID, appID: appID), as: merchant)
    }

    func transfer(_ merchant: MerchantCredentials, _ tradeNo: String, openID: String = "oUser1", amountFen: Int64 = 1500,
                  check: Transfer.NameCheck = .none, name: String? = nil) async throws -> CallOutcome<TransferResult> {
        try await client.call(Transfer(tradeNumber: tradeNo, merchantID: merchant.merchantID, appID: "wx8888888888888888", openID: openID,
                                       nameCheck: check, userName: name, amountFen: amountFen, description: "refund", clientIP: "127.0.0.1"), as: merchant)
    }

    func queryTransfer(_ merchant: MerchantCredentials, _ tradeNo: String) async throws -> CallOutcome<TransferInfo> {
        try await client.call(QueryTransfer(tradeNumber: tradeNo, merchantID: merchant.merchantID, appID: "wx8888888888888888"), as: merchant)
    }

    /// Signs and posts fields as given, bypassing client-side validation, and returns the answer's fields.
    func raw(_ path: String, _ fields: [String: String], as merchant: MerchantCredentials, key: String? = nil, addNonce: Bool = true) async throws -> [String: String] {
        var all = fields
        if addNonce { all["nonce_str"] = all["nonce_str"] ?? Signer.nonce() }
        all["sign"] = Signer.sign(all, key: key ?? merchant.apiKey.reveal())
        let outcome = await transport.post(merchant.baseURL + path, body: Array(WeChatXML.encode(all).utf8), identity: merchant.identity)
        guard case .response(200, let body) = outcome else { throw TestSetupError("raw call failed: \(outcome)") }
        return try WeChatXML.decode(body).fields
    }
}

/// sendredpack fields written out by hand (no client type involved), valid as they stand.
func handPacket(_ merchant: MerchantCredentials, billno: String, amount: String = "100", openid: String = "oUser1") -> [String: String] {
    [
        "mch_billno": billno, "mch_id": merchant.merchantID, "wxappid": "wx8888888888888888", "send_name": "ACME",
        "re_openid": openid, "total_amount": amount, "total_num": "1", "wishing": "恭喜发财", "client_ip": "10.0.0.1",
        "act_name": "test", "remark": "r",
    ]
}

/// promotion/transfers fields written out by hand, valid as they stand.
func handTransfer(_ merchant: MerchantCredentials, tradeNo: String, amount: String = "1500", openid: String = "oUser1") -> [String: String] {
    [
        "mch_appid": "wx8888888888888888", "mchid": merchant.merchantID, "partner_trade_no": tradeNo, "openid": openid,
        "check_name": "NO_CHECK", "amount": amount, "desc": "refund", "spbill_create_ip": "10.0.0.1",
    ]
}

enum Path {
    static let send = "/mmpaymkttransfers/sendredpack"
    static let group = "/mmpaymkttransfers/sendgroupredpack"
    static let mini = "/mmpaymkttransfers/sendminiprogramhb"
    static let query = "/mmpaymkttransfers/gethbinfo"
    static let transfer = "/mmpaymkttransfers/promotion/transfers"
    static let queryTransfer = "/mmpaymkttransfers/gettransferinfo"
}

/// The error code of a failed call (or "SUCCESS").
func code<R>(_ outcome: CallOutcome<R>) -> String {
    switch outcome {
    case .success: "SUCCESS"
    case .failure(let failure): failure.code
    case .notSent(let reason): "NOT_SENT: \(reason)"
    }
}
