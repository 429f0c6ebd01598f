/// `gethbinfo`: a red packet's state by merchant billno (30-day window).
public struct QueryRedPack: WeChatPayRequest, Equatable {
    public static let path = "/mmpaymkttransfers/gethbinfo"
    public static let family = ErrorCatalog.Family.redPacketQuery
    public static let responseLists = ["hblist": "hbinfo"]
    public var billno: String
    public var merchantID: String
    /// The appid used when sending (sent as `appid`, not `wxappid`).
    public var appID: String
    /// The amount the packet was sent with, when known: an answer must echo it as
    /// `total_amount`, or it is about another packet (a billno reused under another account
    /// or a crossed answer) and says nothing about this one.
    public var totalAmountFen: Int64?

    public init(billno: String, merchantID: String, appID: String, totalAmountFen: Int64? = nil) {
        self.billno = billno
        self.merchantID = merchantID
        self.appID = appID
        self.totalAmountFen = totalAmountFen
    }

    public var fields: [String: String] { ["mch_billno": billno, "mch_id": merchantID, "appid": appID, "bill_type": "MCHT"] }
    public var echoedFields: [String: String] {
        var echoed = ["mch_billno": billno, "mch_id": merchantID]
        if let totalAmountFen { echoed["total_amount"] = String(totalAmountFen) }
        return echoed
    }

    public func validate() throws(RequestInvalid) {
        var rules = FieldRules()
        rules.orderNumber("mch_billno", billno, max: RedPacketFieldRules.billnoMaxLength)
        rules.required("mch_id", merchantID, max: RedPacketFieldRules.merchantIDMaxLength)
        rules.required("appid", appID, max: RedPacketFieldRules.appIDMaxLength)
        try rules.result()
    }

    public static func response(from document: WeChatXML.Document) throws(WeChatXML.CodecError) -> RedPacketInfo {
        try RedPacketInfo(document)
    }
}

/// Red packet status as gethbinfo reports it (reference §3.5).
public enum RedPacketStatus: String, Sendable, Codable, CaseIterable {
    case sending = "SENDING"
    case sent = "SENT"
    case failed = "FAILED"
    case received = "RECEIVED"
    case refunding = "RFUND_ING"
    case refunded = "REFUND"

    /// FAILED, RECEIVED and REFUND never change again.
    public var isFinal: Bool { self == .failed || self == .received || self == .refunded }
}

/// One receiver in `hblist`.
public struct RedPacketReceiver: Sendable, Equatable, Codable {
    public let openID: String
    public let amountFen: Int64
    public let receivedAt: String
}

/// A successful gethbinfo answer.
public struct RedPacketInfo: Sendable, Equatable, Codable {
    public let billno: String
    public let detailID: String
    public let status: RedPacketStatus
    public let sendType: String?
    public let hbType: String?
    public let totalNum: Int
    public let totalAmountFen: Int64
    public let reason: String?
    public let sendTime: String?
    public let refundTime: String?
    public let refundAmountFen: Int64?
    public let receivers: [RedPacketReceiver]

    init(_ d: WeChatXML.Document) throws(WeChatXML.CodecError) {
        billno = try d.require("mch_billno")
        detailID = try d.require("detail_id")
        let rawStatus = try d.require("status")
        guard let status = RedPacketStatus(rawValue: rawStatus) else { throw WeChatXML.CodecError(reason: "unknown red packet status \(rawStatus)") }
        self.status = status
        sendType = d["send_type"]
        hbType = d["hb_type"]
        totalNum = Int(d["total_num"] ?? "1") ?? 1
        totalAmountFen = try d.requireFen("total_amount")
        reason = d["reason"]
        sendTime = d["send_time"]
        refundTime = d["refund_time"]
        refundAmountFen = d["refund_amount"].flatMap { Int64($0) }
        var receivers: [RedPacketReceiver] = []
        for item in d.lists["hblist"] ?? [] {
            guard let openID = item["openid"], let amount = item["amount"].flatMap({ Int64($0) }) else {
                throw WeChatXML.CodecError(reason: "hbinfo lacks openid or amount")
            }
            receivers.append(RedPacketReceiver(openID: openID, amountFen: amount, receivedAt: item["rcv_time"] ?? ""))
        }
        self.receivers = receivers
    }
}
