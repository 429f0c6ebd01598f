import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

/// The simulator's own checks, exercised with raw signed XML built by hand so that no
/// client-side validator runs first: each rule of the reference is refused with WeChat's code.
@Suite("Simulator checks requests with its own rules")
struct SimulatorIndependenceTests {
    static let requiredSendFields = ["nonce_str", "mch_billno", "wxappid", "send_name", "re_openid", "total_amount", "total_num",
                                     "wishing", "client_ip", "act_name", "remark"]

    @Test("each required sendredpack field, when missing, is PARAM_ERROR naming it", arguments: requiredSendFields)
    func missingField(_ field: String) async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var fields = handPacket(m, billno: billno(1))
            fields["nonce_str"] = "n0nce"
            fields[field] = nil
            // Signed without the field: the signature is right, the request is not.
            let answer = try await sim.raw(Path.send, fields, as: m, addNonce: false)
            #expect(answer["err_code"] == "PARAM_ERROR")
            #expect(answer["err_code_des"]?.contains(field) == true, "\(answer["err_code_des"] ?? "")")
        }
    }

    static let tooLong: [(String, Int)] = [("mch_billno", 29), ("send_name", 33), ("re_openid", 33), ("wishing", 129), ("act_name", 33),
                                           ("remark", 257), ("scene_id", 33), ("risk_info", 129)]

    @Test("a field longer than its String(n) is PARAM_ERROR naming it", arguments: tooLong)
    func tooLongField(_ field: String, _ length: Int) async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var fields = handPacket(m, billno: billno(1))
            fields[field] = String(repeating: "1", count: length)
            let answer = try await sim.raw(Path.send, fields, as: m)
            #expect(answer["err_code"] == "PARAM_ERROR")
            #expect(answer["err_code_des"]?.contains(field) == true, "\(answer["err_code_des"] ?? "")")
        }
    }

    @Test("exactly 28 characters of [0-9a-zA-Z] is a valid mch_billno; any other character is PARAM_ERROR")
    func billnoCharset() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            #expect(try await sim.raw(Path.send, handPacket(m, billno: "aZ" + String(repeating: "9", count: 26)), as: m)["result_code"] == "SUCCESS")
            for bad in ["1900000109-2026", "19000001092026_1", "1900000109 2026", "红包1"] {
                let answer = try await sim.raw(Path.send, handPacket(m, billno: bad), as: m)
                #expect(answer["err_code"] == "PARAM_ERROR" && answer["err_code_des"]?.contains("mch_billno") == true, "\(bad)")
            }
        }
    }

    @Test("client_ip must be an IPv4 address", arguments: ["256.1.1.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "::1", "01.2.3.1234"])
    func clientIP(_ ip: String) async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var fields = handPacket(m, billno: billno(1))
            fields["client_ip"] = ip
            let answer = try await sim.raw(Path.send, fields, as: m)
            #expect(answer["err_code"] == "PARAM_ERROR" && answer["err_code_des"]?.contains("client_ip") == true)
        }
    }

    @Test("total_num: 1 for sendredpack and sendminiprogramhb, 3–20 with amt_type ALL_RAND for a group")
    func totalNum() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var normal = handPacket(m, billno: billno(1))
            normal["total_num"] = "2"
            #expect(try await sim.raw(Path.send, normal, as: m)["err_code_des"]?.contains("total_num") == true)
            var mini = handPacket(m, billno: billno(2))
            mini["wxappid"] = "wxmini0000000001"
            mini["client_ip"] = nil
            mini["notify_way"] = "MINI_PROGRAM_JSAPI"
            mini["total_num"] = "3"
            #expect(try await sim.raw(Path.mini, mini, as: m)["err_code_des"]?.contains("total_num") == true)
            var group = handPacket(m, billno: billno(3), amount: "2100")
            group["client_ip"] = nil
            group["amt_type"] = "ALL_RAND"
            for (shares, accepted) in [("2", false), ("21", false), ("3", true), ("20", true)] {
                group["total_num"] = shares
                group["mch_billno"] = billno(100 + Int(shares)!)
                let answer = try await sim.raw(Path.group, group, as: m)
                #expect((answer["result_code"] == "SUCCESS") == accepted, "total_num \(shares): \(answer)")
                if !accepted { #expect(answer["err_code"] == "PARAM_ERROR" && answer["err_code_des"]?.contains("total_num") == true) }
            }
            group["total_num"] = "5"
            for amtType in [nil, "FIXED"] {
                group["amt_type"] = amtType
                let answer = try await sim.raw(Path.group, group, as: m)
                #expect(answer["err_code"] == "PARAM_ERROR" && answer["err_code_des"]?.contains("amt_type") == true)
            }
        }
    }

    @Test("sendminiprogramhb needs notify_way MINI_PROGRAM_JSAPI")
    func notifyWay() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var mini = handPacket(m, billno: billno(1))
            mini["wxappid"] = "wxmini0000000001"
            mini["client_ip"] = nil
            for way in [nil, "JSAPI"] {
                mini["notify_way"] = way
                let answer = try await sim.raw(Path.mini, mini, as: m)
                #expect(answer["err_code"] == "PARAM_ERROR" && answer["err_code_des"]?.contains("notify_way") == true)
            }
            mini["notify_way"] = "MINI_PROGRAM_JSAPI"
            #expect(try await sim.raw(Path.mini, mini, as: m)["package"]?.hasPrefix("sendid=") == true)
        }
    }

    @Test("amount: 1–200 yuan without scene_id, PRODUCT_1…8 only, at most 4999 yuan with one")
    func amountAndScene() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let cases: [(amount: String, scene: String?, code: String)] = [
                ("99", nil, "MONEY_LIMIT"), ("100", nil, "SUCCESS"), ("20000", nil, "SUCCESS"), ("20001", nil, "MONEY_LIMIT"),
                ("20001", "PRODUCT_1", "SUCCESS"), ("50", "PRODUCT_8", "SUCCESS"), ("499900", "PRODUCT_4", "SUCCESS"),
                ("499901", "PRODUCT_4", "MONEY_LIMIT"), ("30000", "PRODUCT_9", "PARAM_ERROR"), ("30000", "product_1", "PARAM_ERROR"),
                ("0", nil, "PARAM_ERROR"), ("1.5", nil, "PARAM_ERROR"), ("-100", nil, "PARAM_ERROR"),
            ]
            for (n, c) in cases.enumerated() {
                var fields = handPacket(m, billno: billno(n + 1), amount: c.amount, openid: "o\(n)")
                fields["scene_id"] = c.scene
                let answer = try await sim.raw(Path.send, fields, as: m)
                #expect((answer["err_code"] == "SUCCESS" ? "SUCCESS" : answer["err_code"]) == c.code, "\(c.amount) fen, scene \(c.scene ?? "-"): \(answer)")
            }
        }
    }

    @Test("qualification is computed from the account's dates: 90 days onboarded and 30 days trading, both inclusive")
    func qualificationDates() async throws {
        try await SimulatorHarness.with { sim in
            let today = BusinessCalendar.day(of: Date())
            let cases: [(onboarded: Int, trading: Int, code: String)] = [(90, 30, "SUCCESS"), (89, 60, "NO_AUTH"), (200, 29, "NO_AUTH"), (91, 31, "SUCCESS")]
            for (n, c) in cases.enumerated() {
                let mch = "19000002\(n)0"
                var spec = SimulatorHarness.qualifiedSpec(mchId: mch)
                spec.onboardedOn = today.adding(days: -c.onboarded)
                spec.tradingSince = today.adding(days: -c.trading)
                let m = try await sim.createMerchant(spec)
                let answer = try await sim.raw(Path.send, handPacket(m, billno: billno(1, mch: mch)), as: m)
                #expect((answer["result_code"] == "SUCCESS" ? "SUCCESS" : answer["err_code"]) == c.code, "\(c): \(answer)")
            }
        }
    }

    @Test("success echoes mch_billno, mch_id, wxappid, re_openid and total_amount")
    func sendEcho() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let answer = try await sim.raw(Path.send, handPacket(m, billno: billno(7), amount: "321", openid: "oEcho"), as: m)
            #expect(answer["return_code"] == "SUCCESS" && answer["result_code"] == "SUCCESS")
            #expect(answer["mch_billno"] == billno(7) && answer["mch_id"] == m.merchantID && answer["wxappid"] == "wx8888888888888888")
            #expect(answer["re_openid"] == "oEcho" && answer["total_amount"] == "321")
            #expect(answer["send_listid"]?.count == 28)
        }
    }

    @Test("the simulator refuses what the client's validators accept: the account's narrower amount range and the transfer minimum")
    func disagreement() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(limits: .init(perMinute: 1800, perUserPerDay: 10, minFen: 100, maxFen: 5000, dailyFen: 5_000_000)))
            let packet = SendRedPack(packet: sim.packet(m, billno: billno(1), amountFen: 10_000), clientIP: "127.0.0.1")
            #expect(throws: Never.self) { try packet.validate() } // the client sees nothing wrong …
            #expect(code(try await sim.client.call(packet, as: m)) == "MONEY_LIMIT") // … WeChat's configured range does
            let transfer = Transfer(tradeNumber: "T1", merchantID: m.merchantID, appID: "wx8888888888888888", openID: "oUser1",
                                    amountFen: 50, description: "d", clientIP: "127.0.0.1")
            #expect(throws: Never.self) { try transfer.validate() }
            #expect(code(try await sim.client.call(transfer, as: m)) == "AMOUNT_LIMIT")
            #expect(try await sim.ledger().accounts.first?.balanceFen == 10_000_000, "nothing was debited")
        }
    }

    static let transferCases: [(field: String, value: String?)] = [
        ("partner_trade_no", String(repeating: "1", count: 33)), ("partner_trade_no", "T-1"), ("openid", nil),
        ("check_name", "OPTION_CHECK"), ("amount", "15.00"), ("desc", String(repeating: "d", count: 101)), ("desc", nil),
        ("spbill_create_ip", "300.0.0.1"), ("mch_appid", nil),
    ]

    @Test("promotion/transfers field rules are PARAM_ERROR naming the field", arguments: transferCases)
    func transferFields(_ field: String, _ value: String?) async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var fields = handTransfer(m, tradeNo: "T20261129000001")
            fields[field] = value
            let answer = try await sim.raw(Path.transfer, fields, as: m)
            #expect(answer["err_code"] == "PARAM_ERROR" && answer["err_code_des"]?.contains(field) == true, "\(answer)")
        }
    }

    @Test("FORCE_CHECK without re_user_name is PARAM_ERROR; a transfer echoes partner_trade_no, mchid and mch_appid")
    func transferEcho() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var forced = handTransfer(m, tradeNo: "T1")
            forced["check_name"] = "FORCE_CHECK"
            let refused = try await sim.raw(Path.transfer, forced, as: m)
            #expect(refused["err_code"] == "PARAM_ERROR" && refused["err_code_des"]?.contains("re_user_name") == true)
            let answer = try await sim.raw(Path.transfer, handTransfer(m, tradeNo: "T2"), as: m)
            #expect(answer["result_code"] == "SUCCESS" && answer["partner_trade_no"] == "T2" && answer["mchid"] == m.merchantID)
            #expect(answer["mch_appid"] == "wx8888888888888888" && answer["payment_no"]?.count == 28)
        }
    }

    @Test("gethbinfo needs bill_type MCHT and a bound appid")
    func queryFields() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            var fields = ["mch_billno": billno(1), "mch_id": m.merchantID, "appid": "wx8888888888888888", "bill_type": "MCHT"]
            #expect(try await sim.raw(Path.query, fields, as: m)["err_code"] == "NOT_FOUND")
            fields["bill_type"] = "BILL"
            #expect(try await sim.raw(Path.query, fields, as: m)["err_code_des"]?.contains("bill_type") == true)
            fields["bill_type"] = "MCHT"
            fields["appid"] = "wxunbound0000001"
            #expect(try await sim.raw(Path.query, fields, as: m)["err_code"] == "PARAM_ERROR")
        }
    }
}
