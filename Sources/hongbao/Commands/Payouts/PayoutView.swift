import Foundation
import Operations
import Payouts

/// A payout as the CLI prints it (`--json` keys are snake_case, as the tenant API's).
struct PayoutView: Encodable {
    let id: String
    let tenant: String
    let kind: String
    let mode: String
    let status: String
    let merchant: String
    let mchID: String
    let billno: String
    let appID: String
    let openID: String
    let amountFen: Int64
    let totalNum: Int
    let errorCode: String?
    let errorMessage: String?
    let refundAmountFen: Int64?
    let createdAt: String
    let sentAt: String?
    let finalAt: String?

    init(_ found: PayoutSearch.Found) {
        let p = found.payout
        id = p.id.uuidString.lowercased()
        tenant = found.tenantName
        kind = p.kind.rawValue
        mode = p.mode.rawValue
        status = p.status.rawValue
        merchant = p.merchant
        mchID = p.mchID
        billno = p.billno
        appID = p.appID
        openID = p.openID
        amountFen = p.amountFen
        totalNum = p.totalNum
        errorCode = p.failure?.code
        errorMessage = p.failure?.message
        refundAmountFen = p.refundAmountFen
        createdAt = p.createdAt.formatted(.iso8601)
        sentAt = p.sentAt?.formatted(.iso8601)
        finalAt = p.finalAt?.formatted(.iso8601)
    }

    enum CodingKeys: String, CodingKey {
        case id, tenant, kind, mode, status, merchant, billno
        case mchID = "mch_id", appID = "appid", openID = "openid", amountFen = "amount_fen", totalNum = "total_num", errorCode = "error_code"
        case errorMessage = "error_message", refundAmountFen = "refund_amount_fen", createdAt = "created_at", sentAt = "sent_at", finalAt = "final_at"
    }

    /// Every key present (null when empty), so scripts can rely on the shape.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(kind, forKey: .kind)
        try c.encode(mode, forKey: .mode)
        try c.encode(status, forKey: .status)
        try c.encode(merchant, forKey: .merchant)
        try c.encode(mchID, forKey: .mchID)
        try c.encode(billno, forKey: .billno)
        try c.encode(appID, forKey: .appID)
        try c.encode(openID, forKey: .openID)
        try c.encode(amountFen, forKey: .amountFen)
        try c.encode(totalNum, forKey: .totalNum)
        try c.encode(errorCode, forKey: .errorCode)
        try c.encode(errorMessage, forKey: .errorMessage)
        try c.encode(refundAmountFen, forKey: .refundAmountFen)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(sentAt, forKey: .sentAt)
        try c.encode(finalAt, forKey: .finalAt)
    }

    var tableRow: [String] {
        [id, tenant, status, merchant, billno, openID, String(amountFen), createdAt, errorCode ?? ""]
    }

    static let tableHeader = ["ID", "TENANT", "STATUS", "MERCHANT", "BILLNO", "OPENID", "FEN", "CREATED", "ERROR"]
}
