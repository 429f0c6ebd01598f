import Audit
import Foundation
import Merchants
import Postgres

/// One payout as the gateway records it (table `payouts`).
public struct Payout: Sendable, Equatable, Codable {
    /// A red packet (normal or group), or an enterprise payment to the user's balance.
    public enum Kind: String, Sendable, Codable { case normal, group, transfer }

    /// The last definite or uncertain upstream answer, when it was not a success.
    public struct Failure: Sendable, Equatable, Codable {
        public let code: String
        public let message: String
        public let retryClass: String
    }

    public struct Receiver: Sendable, Equatable, Codable {
        public let openid: String
        public let amountFen: Int64
        public let receivedAt: String

        enum CodingKeys: String, CodingKey { case openid, amountFen = "amount_fen", receivedAt = "received_at" }
    }

    public let id: UUID
    public let tenantID: UUID
    public let kind: Kind
    public let mode: MerchantMode
    public var status: PayoutStatus
    public let day: String
    public var merchant: String
    public var mchID: String
    public var billno: String
    /// The wire identity the current billno was made with (`MerchantConfig.wireIdentity`).
    public var sentAs: String
    public let appID: String
    public let openID: String
    public let amountFen: Int64
    public let totalNum: Int
    public let wishing: String
    public let actName: String
    public let remark: String
    public var sendName: String
    public let sceneID: String?
    public let riskInfo: String?
    public var clientIP: String?
    /// Transfers only: WeChat's real-name check (NO_CHECK / FORCE_CHECK), the name checked,
    /// and the payment's description (`desc`).
    public let checkName: String?
    public let userName: String?
    public let description: String?
    public let metadata: [String: String]?
    let orderSendName: String?
    let orderClientIP: String?
    public var sendListID: String?
    public var detailID: String?
    public var refundAmountFen: Int64?
    public var receivers: [Receiver]
    public var failure: Failure?
    public let createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?
    public var finalAt: Date?
    /// When the reconciler should look at it next (nil: nothing to do).
    var nextCheckAt: Date?
    let usageStripe: Int16

    static let columns = """
        id, tenant_id, kind, mode, status, day::text, merchant, mch_id, billno, appid, openid, amount_fen, total_num, wishing, \
        act_name, remark, send_name, scene_id, risk_info, client_ip, metadata, send_listid, detail_id, refund_amount_fen, \
        receivers, error_code, error_message, error_class, created_at, updated_at, sent_at, final_at, usage_stripe, \
        order_send_name, order_client_ip, next_check_at, check_name, re_user_name, description, sent_as
        """

    /// `columns` of the table aliased `alias` (for a query that joins others, e.g. the
    /// operator's searches in Operations).
    public static func columns(of alias: String) -> String { ColumnList.qualified(columns, by: alias) }

    /// How many columns `columns` names (a query may select more after them).
    public static let columnCount = ColumnList.count(columns)

    /// From `columns`, starting at column `offset` (a query may select others before them).
    public init(row: PostgresRow, offset: Int = 0) throws {
        id = try row.decode(column: offset + 0)
        tenantID = try row.decode(column: offset + 1)
        kind = try row.decode(column: offset + 2, rawValueOf: Kind.self)
        mode = try row.decode(column: offset + 3, rawValueOf: MerchantMode.self)
        status = try row.decode(column: offset + 4, rawValueOf: PayoutStatus.self)
        day = try row.decode(column: offset + 5)
        merchant = try row.decode(column: offset + 6)
        mchID = try row.decode(column: offset + 7)
        billno = try row.decode(column: offset + 8)
        appID = try row.decode(column: offset + 9)
        openID = try row.decode(column: offset + 10)
        amountFen = try row.decode(column: offset + 11)
        totalNum = try row.decode(column: offset + 12, as: Int32.self).asInt
        wishing = try row.decode(column: offset + 13)
        actName = try row.decode(column: offset + 14)
        remark = try row.decode(column: offset + 15)
        sendName = try row.decode(column: offset + 16)
        sceneID = try row.decode(column: offset + 17)
        riskInfo = try row.decode(column: offset + 18)
        clientIP = try row.decode(column: offset + 19)
        metadata = try row.decode(column: offset + 20, as: PostgresJSON?.self).map { try $0.decode([String: String].self) }
        sendListID = try row.decode(column: offset + 21)
        detailID = try row.decode(column: offset + 22)
        refundAmountFen = try row.decode(column: offset + 23)
        receivers = try row.decode(column: offset + 24, as: PostgresJSON.self).decode([Receiver].self)
        let code: String? = try row.decode(column: offset + 25)
        let message: String? = try row.decode(column: offset + 26)
        let retryClass: String? = try row.decode(column: offset + 27)
        failure = code.map { Failure(code: $0, message: message ?? "", retryClass: retryClass ?? "") }
        createdAt = try row.decode(column: offset + 28)
        updatedAt = try row.decode(column: offset + 29)
        sentAt = try row.decode(column: offset + 30)
        finalAt = try row.decode(column: offset + 31)
        usageStripe = try row.decode(column: offset + 32)
        orderSendName = try row.decode(column: offset + 33)
        orderClientIP = try row.decode(column: offset + 34)
        nextCheckAt = try row.decode(column: offset + 35)
        checkName = try row.decode(column: offset + 36)
        userName = try row.decode(column: offset + 37)
        description = try row.decode(column: offset + 38)
        sentAs = try row.decode(column: offset + 39)
    }

    /// What a status change alters; nil leaves a field as it is (`.some(nil)` clears it).
    struct Change {
        var status: PayoutStatus
        var failure: Failure?? = nil
        var sendListID: String? = nil
        var detailID: String? = nil
        var refundAmountFen: Int64? = nil
        var receivers: [Receiver]? = nil
        var nextCheckAt: Date?? = nil
    }

    /// This payout after `change` at `now`: what `PayoutLedger.update` writes. The times
    /// are cut to microseconds, as PostgreSQL keeps them, so the next change's version
    /// check compares equal values.
    func changed(_ change: Change, at now: Date = Date()) -> Payout {
        var next = self
        let at = now.microseconds
        next.status = change.status
        next.updatedAt = at
        if let failure = change.failure { next.failure = failure }
        if let sendListID = change.sendListID { next.sendListID = sendListID }
        if let detailID = change.detailID { next.detailID = detailID }
        if let refund = change.refundAmountFen { next.refundAmountFen = refund }
        if let receivers = change.receivers { next.receivers = receivers }
        if let nextCheckAt = change.nextCheckAt { next.nextCheckAt = nextCheckAt.map(\.microseconds) }
        if [.sent, .received, .refunding, .refunded].contains(change.status), next.sentAt == nil { next.sentAt = at }
        if [.received, .refunded, .failed].contains(change.status), next.finalAt == nil { next.finalAt = at }
        return next
    }

    /// This payout placed on another entity under a new billno.
    func moved(to merchant: any MerchantConfig, billno: String, order: PayoutOrder, at now: Date = Date()) -> Payout {
        var next = self
        next.merchant = merchant.name
        next.mchID = merchant.merchantID
        next.billno = billno
        next.sentAs = merchant.wireIdentity
        next.sendName = Placement.sendName(order, on: merchant)
        next.clientIP = Placement.clientIP(order, on: merchant)
        next.updatedAt = now.microseconds
        return next
    }

    /// The tenant's order, as it was accepted (to place it again on another entity).
    var order: PayoutOrder {
        PayoutOrder(kind: kind, appID: appID, openID: openID, amountFen: amountFen, totalNum: totalNum, wishing: wishing, actName: actName,
                    remark: remark, sendName: orderSendName, sceneID: sceneID, riskInfo: riskInfo, clientIP: orderClientIP, metadata: metadata,
                    checkName: checkName, userName: userName, description: description)
    }

    /// The key its merchant's usage is counted under (`Payout.Kind.usageKey`).
    public var usageKey: String { kind.usageKey(mchID) }

    /// Its chain in the audit log: one of the tenant's 16 stripes, chosen by payout id.
    var auditChain: String { AuditChains.payout(tenant: tenantID, payout: id) }
}

extension Payout.Kind {
    /// WeChat counts enterprise payment apart from red packets: its daily amount, per-user
    /// count and per-minute ring live in the same usage tables under `mch_id:transfer`.
    public func usageKey(_ mchID: String) -> String { self == .transfer ? mchID + ":transfer" : mchID }

    /// The merchant limits this kind is held to.
    func limits(of merchant: any MerchantConfig) -> MerchantLimits { self == .transfer ? merchant.transferLimits : merchant.limits }
}

extension Int32 {
    var asInt: Int { Int(self) }
}

extension Date {
    /// Cut to whole microseconds (PostgreSQL's resolution).
    var microseconds: Date { Date(timeIntervalSince1970: (timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000) }
}
