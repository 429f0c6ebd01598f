import Foundation
import Payouts
import WeChatPay

/// Payouts as the API shows them (`Redpack` of openapi.yaml), and the stored answer of a
/// POST: the JSON of that `Redpack` with 201 once the send is settled, else 202. A replay
/// decodes it back and returns it through the same encoder, so the tenant gets the same
/// status and the same document.
enum RedpackRendering {
    static func redpack(_ p: Payout) -> Components.Schemas.Redpack {
        Components.Schemas.Redpack(
            id: p.id.uuidString.lowercased(), object: .redpack, kind: p.kind == .group ? .group : .normal,
            status: Components.Schemas.RedpackStatus(rawValue: p.status.rawValue) ?? .unknown,
            mode: p.mode == .test ? .test : .live, merchant: p.merchant, mchId: p.mchID, billno: p.billno, appid: p.appID,
            openid: p.openID, amountFen: p.amountFen, totalNum: p.totalNum, wishing: p.wishing, actName: p.actName, remark: p.remark,
            sendName: p.sendName, sceneId: p.sceneID.flatMap(Components.Schemas.Redpack.SceneIdPayload.init(rawValue:)),
            metadata: p.metadata.map { Components.Schemas.Redpack.MetadataPayload(additionalProperties: $0) },
            createdAt: p.createdAt, updatedAt: p.updatedAt, sentAt: p.sentAt, finalAt: p.finalAt, sendListid: p.sendListID,
            refundAmountFen: p.refundAmountFen, error: p.failure.map(failure),
            receivers: p.receivers.map { Components.Schemas.Receiver(openid: $0.openid, amountFen: $0.amountFen, receivedAt: wechatTime($0.receivedAt)) })
    }

    static func failure(_ f: Payout.Failure) -> Components.Schemas.Redpack._ErrorPayload {
        let retryClass: Components.Schemas.Redpack._ErrorPayload.RetryClassPayload = switch f.retryClass {
        case "F": .failed
        case "C": .configuration
        case "R": .recipient
        case "P": .caller
        default: .unknown
        }
        return .init(code: f.code, message: f.message, retryClass: retryClass)
    }

    /// WeChat writes `yyyy-MM-dd HH:mm:ss` in Beijing time (whole seconds, so no rounding question).
    static func wechatTime(_ text: String) -> Date {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == ":" })
        guard parts.count == 4, let day = BusinessDay(iso: String(parts[0])),
              let h = Double(parts[1]), let m = Double(parts[2]), let s = Double(parts[3]) else { return Date(timeIntervalSince1970: 0) }
        return BusinessCalendar.start(of: day).addingTimeInterval(h * 3600 + m * 60 + s)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try RFC3339DateTranscoder().encode(date))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try RFC3339DateTranscoder().decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }()

    /// The engine's renderer for stored answers.
    static let render: PayoutRenderer = { payout in
        StoredResponse(status: payout.status.sendSettled ? 201 : 202, body: Array(try encoder.encode(redpack(payout))), rendered: payout)
    }

    /// The stored answer as the spec's type: rebuilt from the payout when it was rendered in
    /// this process (what the body says, without decoding it), else decoded (a replay).
    static func decode(_ stored: StoredResponse) throws -> Components.Schemas.Redpack {
        if let payout = stored.rendered { return redpack(payout) }
        return try decoder.decode(Components.Schemas.Redpack.self, from: Data(stored.body))
    }
}

