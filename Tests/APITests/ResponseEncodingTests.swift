@testable import API
import Foundation
import OpenAPIRuntime
import Testing

/// The response types write every key, `null` included (the generator would leave nil
/// keys out), and dates are RFC 3339.
@Suite("response encoding")
struct ResponseEncodingTests {
    func keys(of value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static let emptyRedpack = Components.Schemas.Redpack(
        id: "id", object: .redpack, kind: .normal, status: .accepted, mode: .test, merchant: "m", mchId: "1", billno: "b",
        appid: "a", openid: "o", amountFen: 1, totalNum: 1, wishing: "w", actName: "a", remark: "r", sendName: "s",
        createdAt: Date(), updatedAt: Date(), receivers: [])

    @Test("every property of Redpack is encoded, nil ones as null")
    func redpack() throws {
        let json = try keys(of: Self.emptyRedpack)
        #expect(json.count == Mirror(reflecting: Self.emptyRedpack).children.count, "a property is missing from ExplicitNullEncoding.swift")
        for key in ["scene_id", "metadata", "sent_at", "final_at", "send_listid", "refund_amount_fen", "error"] {
            #expect(json[key] is NSNull, "\(key)")
        }
    }

    @Test("every property of Campaign is encoded, nil ones as null, its rule when it has one")
    func campaign() throws {
        let campaign = Components.Schemas.Campaign(
            id: "id", object: .campaign, mode: .test, name: "n", appid: "wx1", actName: "a", wishing: "w", remark: "r", amountMinFen: 100,
            amountMaxFen: 100, budgetFen: 1000, budgetLeftFen: 1000, perOpenidCap: 1, budgetLowPercent: 10, status: .draft, createdAt: Date(),
            updatedAt: Date())
        let json = try keys(of: campaign)
        // `rule` is the one optional key: present only when the campaign has one.
        #expect(json.count == Mirror(reflecting: campaign).children.count - 1 && json["rule"] == nil, "a property is missing from ExplicitNullEncoding.swift")
        for key in ["send_name", "scene_id", "starts_at", "ends_at", "ended_reason"] { #expect(json[key] is NSNull, "\(key)") }
        var ruled = campaign
        ruled.rule = .init(minPaidFen: 100)
        #expect(try keys(of: ruled).count == Mirror(reflecting: ruled).children.count)
    }

    @Test("every property of Transfer is encoded, nil ones as null")
    func transfer() throws {
        let transfer = Components.Schemas.Transfer(
            id: "00000000-0000-0000-0000-000000000000", object: .transfer, status: .sending, mode: .test, merchant: "m", mchId: "1",
            partnerTradeNo: "1", appid: "wx1", openid: "o", amountFen: 100, description: "d", checkName: .noCheck, metadata: nil,
            createdAt: Date(), updatedAt: Date(), sentAt: nil, finalAt: nil, paymentNo: nil, error: nil)
        let json = try keys(of: transfer)
        #expect(json.count == Mirror(reflecting: transfer).children.count, "a property is missing from ExplicitNullEncoding.swift")
        for key in ["metadata", "sent_at", "final_at", "payment_no", "error"] { #expect(json[key] is NSNull, "\(key)") }
    }

    @Test("every property of RedpackList is encoded, next_cursor null on the last page")
    func list() throws {
        let list = Components.Schemas.RedpackList(data: [Self.emptyRedpack], hasMore: false, nextCursor: nil)
        let json = try keys(of: list)
        #expect(json.count == Mirror(reflecting: list).children.count)
        #expect(json["next_cursor"] is NSNull)
        #expect((json["data"] as? [[String: Any]])?.first?["sent_at"] is NSNull, "nested red packets keep their nulls")
    }

    @Test("every property of Usage is encoded, an unlimited budget as null")
    func usage() throws {
        let usage = Components.Schemas.Usage(day: "2025-11-30", budgetFen: nil, spentFen: 0, remainingFen: nil,
                                             payouts: .init(count: 0, amountFen: 0), byStatus: .init())
        let json = try keys(of: usage)
        #expect(json.count == Mirror(reflecting: usage).children.count)
        #expect(json["budget_fen"] is NSNull && json["remaining_fen"] is NSNull)
    }

    @Test("every property of Webhook is encoded: description, disabled_at and disabled_reason as null while enabled")
    func webhook() throws {
        let webhook = Components.Schemas.Webhook(id: "id", object: .webhookEndpoint, url: "https://x.example/", mode: .live, events: ["*"], description: nil,
                                                 enabled: true, disabledAt: nil, disabledReason: nil, consecutiveFailures: 0, createdAt: Date())
        let json = try keys(of: webhook)
        #expect(json.count == Mirror(reflecting: webhook).children.count, "a property is missing from ExplicitNullEncoding.swift")
        #expect(json["description"] is NSNull && json["disabled_at"] is NSNull && json["disabled_reason"] is NSNull)
    }

    @Test("dates: RFC 3339 in, with or without fraction and offset; UTC with milliseconds out")
    func dates() throws {
        let transcoder = RFC3339DateTranscoder()
        let instant = Date(timeIntervalSince1970: 1_764_475_380.5)
        for text in ["2025-11-30T04:03:00.5Z", "2025-11-30T12:03:00.500+08:00", "2025-11-30t04:03:00.5z"] {
            #expect(try transcoder.decode(text) == instant, "\(text)")
        }
        #expect(try transcoder.decode("2025-11-30T04:03:00Z") == Date(timeIntervalSince1970: 1_764_475_380))
        #expect(try transcoder.encode(instant) == "2025-11-30T04:03:00.500Z")
        #expect(throws: DecodingError.self) { try transcoder.decode("2025-11-30 04:03:00") }
        // Why the gateway configures its own: the runtime's default refuses fractions.
        #expect(throws: (any Error).self) { try ISO8601DateTranscoder.iso8601.decode("2025-11-30T04:03:00.5Z") }
    }
}

@Suite("RFC 3339 dates")
struct RFC3339Tests {
    @Test("written in UTC with milliseconds, rounded to the nearest; what is read is written back unchanged")
    func stable() throws {
        let transcoder = RFC3339DateTranscoder()
        #expect(try transcoder.encode(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(try transcoder.encode(Date(timeIntervalSince1970: 1_764_460_800.0144)) == "2025-11-30T00:00:00.014Z")
        #expect(try transcoder.encode(Date(timeIntervalSince1970: 1_764_460_800.0146)) == "2025-11-30T00:00:00.015Z")
        #expect(try transcoder.encode(Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29T00:00:00.500Z", "a leap day")
        for micros in stride(from: Int64(1_764_460_800_000_000), to: 1_764_460_800_000_000 + 5_000, by: 7) {
            let text = try transcoder.encode(Date(timeIntervalSince1970: Double(micros) / 1_000_000))
            #expect(try transcoder.encode(try transcoder.decode(text)) == text)
        }
    }
}
