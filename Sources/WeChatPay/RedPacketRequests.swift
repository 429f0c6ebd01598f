/// Fields every red-packet send shares (reference §3.1, §3.3, §3.4).
public struct RedPacketFields: Sendable, Equatable, Codable {
    public var billno: String
    public var merchantID: String
    public var appID: String
    public var sendName: String
    public var openID: String
    /// Total amount in fen (for a group packet, the sum of all shares).
    public var amountFen: Int64
    public var wishing: String
    public var actName: String
    public var remark: String
    public var sceneID: String?
    public var riskInfo: String?
    /// The merchant whose funds pay (reference §4.6): in service-provider mode, another than
    /// the sub-merchant; nil: the sub-merchant (or, directly, the merchant itself).
    public var consumeMerchantID: String?
    /// Service-provider mode (reference §3.1, §4.6): the sub-merchant sent for, with
    /// `merchantID` the provider's. Nil for a direct merchant.
    public var subMerchantID: String?
    /// Service-provider mode: the appid WeChat reaches the user through (required there,
    /// bound to the provider or the sub-merchant; MSGAPPID_ERROR otherwise).
    public var messageAppID: String?

    public init(billno: String, merchantID: String, appID: String, sendName: String, openID: String, amountFen: Int64,
                wishing: String, actName: String, remark: String, sceneID: String? = nil, riskInfo: String? = nil, consumeMerchantID: String? = nil,
                subMerchantID: String? = nil, messageAppID: String? = nil) {
        self.billno = billno
        self.merchantID = merchantID
        self.appID = appID
        self.sendName = sendName
        self.openID = openID
        self.amountFen = amountFen
        self.wishing = wishing
        self.actName = actName
        self.remark = remark
        self.sceneID = sceneID
        self.riskInfo = riskInfo
        self.consumeMerchantID = consumeMerchantID
        self.subMerchantID = subMerchantID
        self.messageAppID = messageAppID
    }

    var wire: [String: String] {
        [
            "mch_billno": billno, "mch_id": merchantID, "wxappid": appID, "send_name": sendName,
            "re_openid": openID, "total_amount": String(amountFen), "wishing": wishing,
            "act_name": actName, "remark": remark, "scene_id": sceneID ?? "", "risk_info": riskInfo ?? "",
            "consume_mch_id": consumeMerchantID ?? "", "sub_mch_id": subMerchantID ?? "", "msgappid": messageAppID ?? "",
        ]
    }

    /// What a successful send answer echoes (reference §3.2).
    var echo: [String: String] {
        ["mch_billno": billno, "mch_id": merchantID, "total_amount": String(amountFen), "re_openid": openID]
    }

    func check(_ rules: inout FieldRules, shares: Int64) {
        typealias R = RedPacketFieldRules
        rules.orderNumber("mch_billno", billno, max: R.billnoMaxLength)
        rules.required("mch_id", merchantID, max: R.merchantIDMaxLength)
        rules.required("wxappid", appID, max: R.appIDMaxLength)
        rules.required("send_name", sendName, max: R.sendNameMaxLength)
        rules.required("re_openid", openID, max: R.openIDMaxLength)
        rules.required("wishing", wishing, max: R.wishingMaxLength)
        rules.required("act_name", actName, max: R.actNameMaxLength)
        rules.required("remark", remark, max: R.remarkMaxLength)
        rules.optional("scene_id", sceneID, max: R.sceneIDMaxLength)
        rules.optional("risk_info", riskInfo, max: R.riskInfoMaxLength)
        rules.optional("consume_mch_id", consumeMerchantID, max: R.merchantIDMaxLength)
        rules.optional("sub_mch_id", subMerchantID, max: R.merchantIDMaxLength)
        // Service-provider mode names the sub-merchant and the appid that reaches the user together.
        if subMerchantID != nil {
            rules.required("msgappid", messageAppID ?? "", max: R.appIDMaxLength)
        } else {
            rules.optional("msgappid", messageAppID, max: R.appIDMaxLength)
        }
        rules.amount("total_amount", perPacketFen: shares > 0 ? amountFen / shares : amountFen, sceneID: sceneID)
    }
}

/// `sendredpack`: one packet to one official-account user.
public struct SendRedPack: WeChatPayRequest, Equatable {
    public static let path = "/mmpaymkttransfers/sendredpack"
    public static let family = ErrorCatalog.Family.redPacket
    public var packet: RedPacketFields
    /// IPv4 of the calling machine.
    public var clientIP: String

    public init(packet: RedPacketFields, clientIP: String) {
        self.packet = packet
        self.clientIP = clientIP
    }

    public var merchantID: String { packet.merchantID }
    public var echoedFields: [String: String] { packet.echo }
    public var fields: [String: String] { packet.wire.merging(["total_num": "1", "client_ip": clientIP]) { $1 } }

    public func validate() throws(RequestInvalid) {
        var rules = FieldRules()
        packet.check(&rules, shares: 1)
        rules.ipv4("client_ip", clientIP)
        try rules.result()
    }

    public static func response(from document: WeChatXML.Document) throws(WeChatXML.CodecError) -> SendResult {
        try SendResult(document)
    }
}

/// `sendgroupredpack` (fission): one seed user, 3–20 shares split randomly by WeChat.
/// Offline upstream since 2024-06-05 (reference §0); kept for completeness.
public struct SendGroupRedPack: WeChatPayRequest, Equatable {
    public static let path = "/mmpaymkttransfers/sendgroupredpack"
    public static let family = ErrorCatalog.Family.redPacket
    public var packet: RedPacketFields
    public var shares: Int

    public init(packet: RedPacketFields, shares: Int) {
        self.packet = packet
        self.shares = shares
    }

    public var merchantID: String { packet.merchantID }
    public var echoedFields: [String: String] { packet.echo }
    public var fields: [String: String] {
        packet.wire.merging(["total_num": String(shares), "amt_type": RedPacketFieldRules.groupAmountType]) { $1 }
    }

    public func validate() throws(RequestInvalid) {
        var rules = FieldRules()
        let range = RedPacketFieldRules.groupShares
        rules.check(range.contains(shares), "total_num", "must be \(range.lowerBound)–\(range.upperBound) for a group red packet")
        packet.check(&rules, shares: Int64(max(shares, 1)))
        try rules.result()
    }

    public static func response(from document: WeChatXML.Document) throws(WeChatXML.CodecError) -> SendResult {
        try SendResult(document)
    }
}

/// `sendminiprogramhb`: a packet the mini program opens with wx.sendBizRedPacket.
public struct SendMiniProgramRedPack: WeChatPayRequest, Equatable {
    public static let path = "/mmpaymkttransfers/sendminiprogramhb"
    public static let family = ErrorCatalog.Family.redPacket
    public var packet: RedPacketFields

    public init(packet: RedPacketFields) { self.packet = packet }

    public var merchantID: String { packet.merchantID }
    public var echoedFields: [String: String] { packet.echo }
    public var fields: [String: String] { packet.wire.merging(["total_num": "1", "notify_way": "MINI_PROGRAM_JSAPI"]) { $1 } }

    public func validate() throws(RequestInvalid) {
        var rules = FieldRules()
        packet.check(&rules, shares: 1)
        try rules.result()
    }

    public static func response(from document: WeChatXML.Document) throws(WeChatXML.CodecError) -> SendResult {
        try SendResult(document)
    }
}

/// What a successful send returns.
public struct SendResult: Sendable, Equatable, Codable {
    public let billno: String
    /// WeChat's red-packet order id.
    public let sendListID: String?
    public let amountFen: Int64?
    /// Mini-program packets only: input for wx.sendBizRedPacket.
    public let package: String?

    init(_ d: WeChatXML.Document) throws(WeChatXML.CodecError) {
        billno = try d.require("mch_billno")
        sendListID = d["send_listid"]
        amountFen = d["total_amount"].flatMap { Int64($0) }
        package = d["package"]
    }

    public init(billno: String, sendListID: String?, amountFen: Int64?, package: String?) {
        self.billno = billno
        self.sendListID = sendListID
        self.amountFen = amountFen
        self.package = package
    }
}

/// The mini-program front-end signature for wx.sendBizRedPacket (reference §2.3):
/// MD5 over appId, nonceStr, package (URL-encoded) and timeStamp with the APIv2 key.
public struct MiniProgramPayment: Sendable, Equatable {
    public let appID: String
    public let timeStamp: String
    public let nonceStr: String
    public let package: String
    public let signType = "MD5"
    public let paySign: String

    public init(appID: String, package rawPackage: String, key: String, timeStamp: String, nonceStr: String = Signer.nonce()) {
        let encoded = rawPackage.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? rawPackage
        self.appID = appID
        self.timeStamp = timeStamp
        self.nonceStr = nonceStr
        self.package = encoded
        self.paySign = Signer.sign(["appId": appID, "nonceStr": nonceStr, "package": encoded, "timeStamp": timeStamp], key: key)
    }
}

import Foundation

extension CharacterSet {
    /// Unreserved characters only, so `=` and `&` inside the package are encoded.
    static let urlQueryValueAllowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
