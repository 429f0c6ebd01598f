import Testing
@testable import WeChatPay

@Suite("Request validation before sending")
struct RequestValidationTests {
    func packet(_ change: (inout RedPacketFields) -> Void = { _ in }) -> RedPacketFields {
        var p = RedPacketFields(billno: "1900000109202611290000000001", merchantID: "1900000109", appID: "wx8888888888888888",
                                sendName: "ACME", openID: "oUser", amountFen: 100, wishing: "恭喜发财", actName: "新年", remark: "备注")
        change(&p)
        return p
    }

    func fields(of request: some WeChatPayRequest) -> [String] {
        do {
            try request.validate()
            return []
        } catch {
            return error.errors.map(\.field)
        }
    }

    @Test("a good sendredpack passes and carries WeChat's field names")
    func good() throws {
        let request = SendRedPack(packet: packet(), clientIP: "10.0.0.1")
        try request.validate()
        #expect(request.fields["wxappid"] == "wx8888888888888888")
        #expect(request.fields["total_num"] == "1")
        let body = try request.body(key: "k", nonce: "n")
        #expect(body.contains("<nonce_str><![CDATA[n]]></nonce_str>"))
        #expect(!body.contains("scene_id"), "empty optional fields are not sent")
    }

    @Test("billno: letters and digits, at most 28")
    func billno() {
        #expect(fields(of: SendRedPack(packet: packet { $0.billno = "19000001092026112900000000012" }, clientIP: "1.2.3.4")) == ["mch_billno"])
        #expect(fields(of: SendRedPack(packet: packet { $0.billno = "1900-0001" }, clientIP: "1.2.3.4")) == ["mch_billno"])
        #expect(fields(of: SendRedPack(packet: packet { $0.billno = "" }, clientIP: "1.2.3.4")) == ["mch_billno"])
    }

    @Test("amount outside 1–200 yuan needs a scene_id; scene_id must be known")
    func amount() {
        #expect(fields(of: SendRedPack(packet: packet { $0.amountFen = 99 }, clientIP: "1.2.3.4")) == ["total_amount"])
        #expect(fields(of: SendRedPack(packet: packet { $0.amountFen = 20_001 }, clientIP: "1.2.3.4")) == ["total_amount"])
        #expect(fields(of: SendRedPack(packet: packet { $0.amountFen = 20_001; $0.sceneID = "PRODUCT_4" }, clientIP: "1.2.3.4")) == [])
        #expect(fields(of: SendRedPack(packet: packet { $0.sceneID = "PRODUCT_9" }, clientIP: "1.2.3.4")) == ["scene_id"])
        #expect(fields(of: SendRedPack(packet: packet { $0.amountFen = 0; $0.sceneID = "PRODUCT_1" }, clientIP: "1.2.3.4")) == ["total_amount"])
    }

    @Test("lengths, blanks and client_ip")
    func lengths() {
        #expect(fields(of: SendRedPack(packet: packet { $0.sendName = String(repeating: "红", count: 33) }, clientIP: "1.2.3.4")) == ["send_name"])
        #expect(fields(of: SendRedPack(packet: packet { $0.sendName = String(repeating: "红", count: 32) }, clientIP: "1.2.3.4")) == [])
        #expect(fields(of: SendRedPack(packet: packet { $0.wishing = " padded" }, clientIP: "1.2.3.4")) == ["wishing"])
        #expect(fields(of: SendRedPack(packet: packet { $0.remark = "" }, clientIP: "1.2.3.4")) == ["remark"])
        for ip in ["256.1.1.1", "1.2.3", "::1", "a.b.c.d", ""] {
            #expect(fields(of: SendRedPack(packet: packet(), clientIP: ip)) == ["client_ip"], "\(ip)")
        }
    }

    @Test("group packets: 3–20 shares, average per share within range, no client_ip")
    func group() {
        #expect(fields(of: SendGroupRedPack(packet: packet { $0.amountFen = 300 }, shares: 3)) == [])
        #expect(fields(of: SendGroupRedPack(packet: packet { $0.amountFen = 300 }, shares: 2)).contains("total_num"))
        #expect(fields(of: SendGroupRedPack(packet: packet { $0.amountFen = 300 }, shares: 21)).contains("total_num"))
        #expect(fields(of: SendGroupRedPack(packet: packet { $0.amountFen = 200 }, shares: 3)) == ["total_amount"])
        let request = SendGroupRedPack(packet: packet { $0.amountFen = 300 }, shares: 3)
        #expect(request.fields["client_ip"] == nil && request.fields["amt_type"] == "ALL_RAND")
    }

    @Test("mini-program packets send notify_way and no client_ip")
    func mini() {
        let request = SendMiniProgramRedPack(packet: packet())
        #expect(request.fields["notify_way"] == "MINI_PROGRAM_JSAPI")
        #expect(request.fields["client_ip"] == nil)
    }

    @Test("transfers: mch_appid/mchid spelling, FORCE_CHECK needs a name")
    func transfers() {
        let t = Transfer(tradeNumber: "T1", merchantID: "1900000109", appID: "wx1", openID: "o", amountFen: 100, description: "d", clientIP: "1.2.3.4")
        #expect(t.fields["mch_appid"] == "wx1" && t.fields["mchid"] == "1900000109")
        #expect(fields(of: t) == [])
        var forced = t
        forced.nameCheck = .force
        #expect(fields(of: forced) == ["re_user_name"])
        #expect(QueryTransfer(tradeNumber: "T1", merchantID: "1", appID: "wx1").fields["appid"] == "wx1")
        #expect(QueryRedPack(billno: "B1", merchantID: "1", appID: "wx1").fields["bill_type"] == "MCHT")
    }
}
