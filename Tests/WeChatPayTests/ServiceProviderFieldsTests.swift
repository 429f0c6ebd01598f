import Testing
@testable import WeChatPay

/// Service-provider mode (reference §3.1, §3.3, §4.6): the provider's mch_id, the
/// sub-merchant's sub_mch_id and the msgappid that reaches the user, signed like every
/// other field; a direct merchant sends none of them.
@Suite("Service-provider fields in red-packet requests")
struct ServiceProviderFieldsTests {
    static func packet(sub: String? = "1900000300", msgAppID: String? = "wx2b2b2b2b2b2b2b2b", consume: String? = nil) -> RedPacketFields {
        RedPacketFields(billno: "1900000300202612060000000001", merchantID: "1900000200", appID: "wx8888888888888888", sendName: "ACME",
                        openID: "oUser", amountFen: 100, wishing: "恭喜发财", actName: "新年", remark: "备注", consumeMerchantID: consume,
                        subMerchantID: sub, messageAppID: msgAppID)
    }

    @Test("sendredpack and sendgroupredpack carry sub_mch_id, msgappid and consume_mch_id, inside the signature")
    func carried() throws {
        let single = SendRedPack(packet: Self.packet(consume: "1900000400"), clientIP: "10.0.0.1")
        let group = SendGroupRedPack(packet: Self.packet(), shares: 3)
        for fields in [single.fields, group.fields] {
            #expect(fields["mch_id"] == "1900000200")
            #expect(fields["sub_mch_id"] == "1900000300")
            #expect(fields["msgappid"] == "wx2b2b2b2b2b2b2b2b")
        }
        #expect(single.fields["consume_mch_id"] == "1900000400")
        let body = try single.body(key: "k", nonce: "n")
        let document = try WeChatXML.decode(Array(body.utf8))
        var signed = document.fields
        let removed = signed.removeValue(forKey: "sign")
        let sign = try #require(removed)
        #expect(signed["sub_mch_id"] == "1900000300" && signed["msgappid"] == "wx2b2b2b2b2b2b2b2b")
        #expect(Signer.sign(signed, key: "k") == sign, "the service-provider fields are signed")
        #expect(Signer.sign(signed.merging(["sub_mch_id": "1900000301"]) { $1 }, key: "k") != sign)
    }

    @Test("a direct merchant's request names no sub-merchant, msgappid or fund source")
    func directSendsNone() throws {
        let body = try SendRedPack(packet: Self.packet(sub: nil, msgAppID: nil), clientIP: "10.0.0.1").body(key: "k", nonce: "n")
        #expect(!body.contains("sub_mch_id") && !body.contains("msgappid") && !body.contains("consume_mch_id"))
    }

    @Test("service-provider mode without a msgappid, or with fields too long, is refused before sending")
    func refused() {
        func refusedFields(_ packet: RedPacketFields) -> [String] {
            do { try SendRedPack(packet: packet, clientIP: "10.0.0.1").validate(); return [] } catch { return error.errors.map(\.field) }
        }
        #expect(refusedFields(Self.packet(msgAppID: nil)) == ["msgappid"])
        #expect(refusedFields(Self.packet(sub: String(repeating: "1", count: 33))) == ["sub_mch_id"])
        #expect(refusedFields(Self.packet(msgAppID: "wx" + String(repeating: "a", count: 31))) == ["msgappid"])
        #expect(refusedFields(Self.packet()) == [])
    }
}
