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

    /// Signs and posts fields as given, bypassing client-side validation, and returns the answer's fields.
    func raw(_ path: String, _ fields: [String: String], as merchant: MerchantCredentials, key: String? = nil) async throws -> [String: String] {
        var all = fields
        all["nonce_str"] = Signer.nonce()
        all["sign"] = Signer.sign(all, key: key ?? merchant.apiKey.reveal())
        let outcome = await transport.post(merchant.baseURL + path, body: Array(WeChatXML.encode(all).utf8), identity: merchant.identity)
        guard case .response(200, let body) = outcome else { throw TestSetupError("raw call failed: \(outcome)") }
        return try WeChatXML.decode(body).fields
    }
}

/// The error code of a failed call (or "SUCCESS").
func code<R>(_ outcome: CallOutcome<R>) -> String {
    switch outcome {
    case .success: "SUCCESS"
    case .failure(let failure): failure.code
    case .notSent(let reason): "NOT_SENT: \(reason)"
    }
}

func billno(_ n: Int, mch: String = "1900000109") -> String {
    let digits = String(n)
    return mch + "20261129" + String(repeating: "0", count: 10 - digits.count) + digits
}
