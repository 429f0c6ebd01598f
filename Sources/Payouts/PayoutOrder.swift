import Crypto
import Foundation

/// What a tenant asked to send, in the API's words, before any merchant is chosen.
public struct PayoutOrder: Sendable, Equatable, Codable {
    public let kind: Payout.Kind
    public let appID: String
    public let openID: String
    /// The whole packet (a group packet: the sum of all shares).
    public let amountFen: Int64
    /// 1 for a normal packet, 3–20 shares for a group (fission) packet.
    public let totalNum: Int
    public let wishing: String
    public let actName: String
    public let remark: String
    public let sendName: String?
    public let sceneID: String?
    public let riskInfo: String?
    public let clientIP: String?
    public let metadata: [String: String]?
    /// Transfers only (nil for red packets, so their canonical hash is what it always was).
    public let checkName: String?
    public let userName: String?
    public let description: String?
    /// A campaign's packet: charged against its budget and per-user cap (nil otherwise, so
    /// other orders' canonical hash is what it always was).
    public let campaign: CampaignCharge?

    public init(kind: Payout.Kind, appID: String, openID: String, amountFen: Int64, totalNum: Int = 1, wishing: String, actName: String,
                remark: String, sendName: String? = nil, sceneID: String? = nil, riskInfo: String? = nil, clientIP: String? = nil,
                metadata: [String: String]? = nil, checkName: String? = nil, userName: String? = nil, description: String? = nil,
                campaign: CampaignCharge? = nil) {
        self.kind = kind
        self.appID = appID
        self.openID = openID
        self.amountFen = amountFen
        self.totalNum = totalNum
        self.wishing = wishing
        self.actName = actName
        self.remark = remark
        self.sendName = sendName
        self.sceneID = sceneID
        self.riskInfo = riskInfo
        self.clientIP = clientIP
        self.metadata = metadata
        self.checkName = checkName
        self.userName = userName
        self.description = description
        self.campaign = campaign
    }

    /// An enterprise payment (企业付款到零钱) to `openID`'s balance under `appID` (mch_appid).
    public static func transfer(appID: String, openID: String, amountFen: Int64, description: String, checkName: String = "NO_CHECK",
                                userName: String? = nil, clientIP: String? = nil, metadata: [String: String]? = nil) -> PayoutOrder {
        PayoutOrder(kind: .transfer, appID: appID, openID: openID, amountFen: amountFen, wishing: "", actName: "", remark: "", clientIP: clientIP,
                    metadata: metadata, checkName: checkName, userName: userName, description: description)
    }

    /// Per share: what WeChat's amount and scene_id rules apply to.
    public var perShareFen: Int64 { amountFen / Int64(max(totalNum, 1)) }

    /// SHA-256 of the canonical JSON (sorted keys): the same request, however its JSON was
    /// written, has the same hash; any difference in any field changes it.
    ///
    /// A campaign's packet is the tenant's request — the campaign and the openid — whatever
    /// the campaign's wording or the amount drawn for it: a retry after the wording was edited
    /// replays the first answer instead of conflicting with it.
    public var canonicalHash: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = campaign.map { (try? encoder.encode(CampaignRequest(campaign: $0.campaignID, openid: openID, metadata: metadata))) ?? Data() }
            ?? (try? encoder.encode(self)) ?? Data()
        return Array(SHA256.hash(data: data))
    }

    private struct CampaignRequest: Encodable {
        let campaign: UUID
        let openid: String
        let metadata: [String: String]?
    }
}

/// One field the API refuses, named as the tenant wrote it.
public struct FieldProblem: Sendable, Equatable, Codable {
    public let field: String
    public let message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}
