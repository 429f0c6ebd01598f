import Foundation
import Payouts

/// Transfers as the API shows them (`Transfer` of openapi.yaml). The engine's statuses in
/// a transfer's words: `sent` is `processing` (WeChat took it and debited the merchant),
/// `received` is `succeeded`, and both `failed` and `refunded` (the money came back) are
/// `failed`.
enum TransferRendering {
    static func status(_ status: PayoutStatus) -> Components.Schemas.TransferStatus {
        switch status {
        case .accepted: .accepted
        case .sending: .sending
        case .sent, .refunding: .processing
        case .received: .succeeded
        case .failed, .refunded: .failed
        case .unknown: .unknown
        case .needsAttention: .needsAttention
        }
    }

    static func transfer(_ p: Payout) -> Components.Schemas.Transfer {
        Components.Schemas.Transfer(
            id: p.id.uuidString.lowercased(), object: .transfer, status: status(p.status), mode: p.mode == .test ? .test : .live,
            merchant: p.merchant, mchId: p.mchID, partnerTradeNo: p.billno, appid: p.appID, openid: p.openID, amountFen: p.amountFen,
            description: p.description ?? "", checkName: p.checkName == "FORCE_CHECK" ? .forceCheck : .noCheck,
            metadata: p.metadata.map { Components.Schemas.Transfer.MetadataPayload(additionalProperties: $0) },
            createdAt: p.createdAt, updatedAt: p.updatedAt, sentAt: p.sentAt, finalAt: p.finalAt, paymentNo: p.sendListID,
            error: p.failure.map(failure))
    }

    static func failure(_ f: Payout.Failure) -> Components.Schemas.Transfer._ErrorPayload {
        let redpack = RedpackRendering.failure(f)
        return .init(code: redpack.code, message: redpack.message,
                     retryClass: Components.Schemas.Transfer._ErrorPayload.RetryClassPayload(rawValue: redpack.retryClass.rawValue) ?? .unknown)
    }

    static let render: PayoutRenderer = { payout in
        StoredResponse(status: payout.status.sendSettled ? 201 : 202, body: Array(try RedpackRendering.encoder.encode(transfer(payout))), rendered: payout)
    }

    static func decode(_ stored: StoredResponse) throws -> Components.Schemas.Transfer {
        if let payout = stored.rendered { return transfer(payout) }
        return try RedpackRendering.decoder.decode(Components.Schemas.Transfer.self, from: Data(stored.body))
    }
}
