/// `promotion/transfers` (企业付款到零钱): pay a user's balance. Note WeChat's
/// spelling here: `mch_appid` and `mchid`.
public struct Transfer: WeChatPayRequest, Equatable {
    public static let path = "/mmpaymkttransfers/promotion/transfers"
    public static let family = ErrorCatalog.Family.transfer

    public enum NameCheck: String, Sendable, Codable { case none = "NO_CHECK", force = "FORCE_CHECK" }

    public var tradeNumber: String
    public var merchantID: String
    public var appID: String
    public var openID: String
    public var nameCheck: NameCheck
    public var userName: String?
    public var amountFen: Int64
    public var description: String
    public var clientIP: String
    public var deviceInfo: String?

    public init(tradeNumber: String, merchantID: String, appID: String, openID: String, nameCheck: NameCheck = .none,
                userName: String? = nil, amountFen: Int64, description: String, clientIP: String, deviceInfo: String? = nil) {
        self.tradeNumber = tradeNumber
        self.merchantID = merchantID
        self.appID = appID
        self.openID = openID
        self.nameCheck = nameCheck
        self.userName = userName
        self.amountFen = amountFen
        self.description = description
        self.clientIP = clientIP
        self.deviceInfo = deviceInfo
    }

    public var fields: [String: String] {
        [
            "partner_trade_no": tradeNumber, "mchid": merchantID, "mch_appid": appID, "openid": openID,
            "check_name": nameCheck.rawValue, "re_user_name": userName ?? "", "amount": String(amountFen),
            "desc": description, "spbill_create_ip": clientIP, "device_info": deviceInfo ?? "",
        ]
    }

    /// A success answer names the number and merchant it is about (amount is not echoed).
    public var echoedFields: [String: String] { ["partner_trade_no": tradeNumber, "mchid": merchantID] }

    public func validate() throws(RequestInvalid) {
        typealias R = TransferFieldRules
        var rules = FieldRules()
        rules.orderNumber("partner_trade_no", tradeNumber, max: R.tradeNumberMaxLength)
        rules.required("mchid", merchantID, max: R.merchantIDMaxLength)
        rules.required("mch_appid", appID, max: R.appIDMaxLength)
        rules.required("openid", openID, max: R.openIDMaxLength)
        rules.required("desc", description, max: R.descriptionMaxLength)
        rules.optional("device_info", deviceInfo, max: R.deviceInfoMaxLength)
        // Only positive: the amount range is the merchant's and WeChat's to refuse (AMOUNT_LIMIT).
        rules.check(amountFen > 0, "amount", "must be positive")
        rules.ipv4("spbill_create_ip", clientIP)
        if nameCheck == .force { rules.required("re_user_name", userName ?? "", max: R.userNameMaxLength) }
        try rules.result()
    }

    public static func response(from document: WeChatXML.Document) throws(WeChatXML.CodecError) -> TransferResult {
        TransferResult(tradeNumber: try document.require("partner_trade_no"), paymentNumber: document["payment_no"], paymentTime: document["payment_time"])
    }
}

public struct TransferResult: Sendable, Equatable, Codable {
    public let tradeNumber: String
    public let paymentNumber: String?
    public let paymentTime: String?
}

/// `gettransferinfo`: a transfer's state (here `appid`/`mch_id` again).
public struct QueryTransfer: WeChatPayRequest, Equatable {
    public static let path = "/mmpaymkttransfers/gettransferinfo"
    public static let family = ErrorCatalog.Family.transferQuery
    public var tradeNumber: String
    public var merchantID: String
    public var appID: String

    public init(tradeNumber: String, merchantID: String, appID: String) {
        self.tradeNumber = tradeNumber
        self.merchantID = merchantID
        self.appID = appID
    }

    public var fields: [String: String] { ["partner_trade_no": tradeNumber, "mch_id": merchantID, "appid": appID] }
    public var echoedFields: [String: String] { ["partner_trade_no": tradeNumber, "mch_id": merchantID] }

    public func validate() throws(RequestInvalid) {
        var rules = FieldRules()
        rules.orderNumber("partner_trade_no", tradeNumber, max: TransferFieldRules.tradeNumberMaxLength)
        rules.required("mch_id", merchantID, max: TransferFieldRules.merchantIDMaxLength)
        rules.required("appid", appID, max: TransferFieldRules.queryAppIDMaxLength)
        try rules.result()
    }

    public static func response(from d: WeChatXML.Document) throws(WeChatXML.CodecError) -> TransferInfo {
        let raw = try d.require("status")
        guard let status = TransferInfo.Status(rawValue: raw) else { throw WeChatXML.CodecError(reason: "unknown transfer status \(raw)") }
        return TransferInfo(tradeNumber: try d.require("partner_trade_no"), detailID: d["detail_id"], status: status,
                            reason: d["reason"], openID: d["openid"], amountFen: d["payment_amount"].flatMap { Int64($0) },
                            transferTime: d["transfer_time"], paymentTime: d["payment_time"])
    }
}

public struct TransferInfo: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case success = "SUCCESS", failed = "FAILED", processing = "PROCESSING" }
    public let tradeNumber: String
    public let detailID: String?
    public let status: Status
    public let reason: String?
    public let openID: String?
    public let amountFen: Int64?
    public let transferTime: String?
    public let paymentTime: String?
}
