import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

@Suite("Simulator answers like WeChat")
struct SimulatorRuleTests {
    @Test("a qualified merchant sends; the same billno and fields is the same order, debited once")
    func sendAndReentrancy() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 1000))
            guard case .success(let first) = try await sim.send(m, billno: billno(1), amountFen: 300) else { Issue.record("send failed"); return }
            guard case .success(let again) = try await sim.send(m, billno: billno(1), amountFen: 300) else { Issue.record("resend failed"); return }
            #expect(first.sendListID == again.sendListID)
            let ledger = try await sim.ledger()
            #expect(ledger.accounts.first?.balanceFen == 700)
            #expect(ledger.packets.count == 1)
            #expect(code(try await sim.send(m, billno: billno(1), amountFen: 400)) == "FATAL_ERROR")
            #expect(code(try await sim.send(m, billno: billno(1), openID: "oOther", amountFen: 300)) == "FATAL_ERROR")
            #expect(try await sim.ledger().accounts.first?.balanceFen == 700)
        }
    }

    @Test("wrong API key is SIGN_ERROR")
    func signError() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let wrong = MerchantCredentials(merchantID: m.merchantID, baseURL: m.baseURL, apiKey: Secret(String(repeating: "x", count: 32)), identity: m.identity)
            #expect(code(try await sim.send(wrong, billno: billno(1))) == "SIGN_ERROR")
        }
    }

    @Test("another merchant's certificate is CA_ERROR")
    func caError() async throws {
        try await SimulatorHarness.with { sim in
            let a = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000109"))
            let b = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(mchId: "1900000110"))
            let mixed = MerchantCredentials(merchantID: a.merchantID, baseURL: a.baseURL, apiKey: a.apiKey, identity: b.identity)
            #expect(code(try await sim.send(mixed, billno: billno(1))) == "CA_ERROR")
        }
    }

    @Test("a calling IP outside the whitelist is NO_AUTH")
    func ipWhitelist() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(whitelist: ["203.0.113.7"]))
            guard case .failure(let failure) = try await sim.send(m, billno: billno(1)) else { Issue.record("expected NO_AUTH"); return }
            #expect(failure.code == "NO_AUTH" && failure.message.contains("IP"))
        }
    }

    @Test("not qualified (90/30 days) or product off is NO_AUTH")
    func qualification() async throws {
        try await SimulatorHarness.with { sim in
            let today = BusinessCalendar.day(of: Date())
            var young = SimulatorHarness.qualifiedSpec(mchId: "1900000111")
            young.onboardedOn = today.adding(days: -89)
            let y = try await sim.createMerchant(young)
            guard case .failure(let failure) = try await sim.send(y, billno: billno(1, mch: "1900000111")) else { Issue.record("expected NO_AUTH"); return }
            #expect(failure.code == "NO_AUTH" && failure.message.contains("89"))
            var off = SimulatorHarness.qualifiedSpec(mchId: "1900000112")
            off.redpackEnabled = false
            let o = try await sim.createMerchant(off)
            #expect(code(try await sim.send(o, billno: billno(1, mch: "1900000112"))) == "NO_AUTH")
            // One day later on the sim clock the young merchant qualifies.
            try await sim.advanceClock(seconds: 86_400)
            #expect(code(try await sim.send(y, billno: billno(2, mch: "1900000111"))) == "SUCCESS")
        }
    }

    @Test("appid rules: app appid ILLEGAL_APPID, unbound appid and mini-program appid on sendredpack PARAM_ERROR")
    func appids() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            #expect(code(try await sim.send(m, billno: billno(1), appID: "wxapp00000000001")) == "ILLEGAL_APPID")
            #expect(code(try await sim.send(m, billno: billno(2), appID: "wxunbound0000001")) == "PARAM_ERROR")
            #expect(code(try await sim.send(m, billno: billno(3), appID: "wxmini0000000001")) == "PARAM_ERROR")
            let mini = SendMiniProgramRedPack(packet: sim.packet(m, billno: billno(4), appID: "wxmini0000000001"))
            guard case .success(let result) = try await sim.client.call(mini, as: m) else { Issue.record("mini-program send failed"); return }
            #expect(result.package?.contains("sendid=") == true)
            #expect(code(try await sim.client.call(SendMiniProgramRedPack(packet: sim.packet(m, billno: billno(5))), as: m)) == "PARAM_ERROR")
        }
    }

    @Test("amount vs scene_id is MONEY_LIMIT; with a scene_id a larger amount goes through")
    func moneyLimit() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let answer = try await sim.raw("/mmpaymkttransfers/sendredpack", sim.packet(m, billno: billno(1), amountFen: 50).wireForTests(clientIP: "127.0.0.1"), as: m)
            #expect(answer["err_code"] == "MONEY_LIMIT")
            #expect(code(try await sim.send(m, billno: billno(2), amountFen: 30_000, sceneID: "PRODUCT_4")) == "SUCCESS")
        }
    }

    @Test("per-user-per-day count is SENDNUM_LIMIT; merchant daily amount is SENDAMOUNT_LIMIT")
    func dailyLimits() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(limits: .init(perMinute: 1800, perUserPerDay: 2, minFen: 100, maxFen: 20_000, dailyFen: 1000)))
            #expect(code(try await sim.send(m, billno: billno(1))) == "SUCCESS")
            #expect(code(try await sim.send(m, billno: billno(2))) == "SUCCESS")
            #expect(code(try await sim.send(m, billno: billno(3))) == "SENDNUM_LIMIT")
            #expect(code(try await sim.send(m, billno: billno(4), openID: "oUser2", amountFen: 801)) == "SENDAMOUNT_LIMIT")
            #expect(code(try await sim.send(m, billno: billno(5), openID: "oUser2", amountFen: 800)) == "SUCCESS", "exactly the daily cap is allowed")
            // The next Shanghai day starts both counters afresh.
            try await sim.advanceClock(seconds: 86_400)
            #expect(code(try await sim.send(m, billno: billno(6))) == "SUCCESS")
        }
    }

    @Test("more than per_minute sends in a minute is FREQ_LIMIT")
    func frequency() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(limits: .init(perMinute: 3, perUserPerDay: 100, minFen: 100, maxFen: 20_000, dailyFen: 5_000_000)))
            for i in 1...3 { #expect(code(try await sim.send(m, billno: billno(i))) == "SUCCESS") }
            #expect(code(try await sim.send(m, billno: billno(4))) == "FREQ_LIMIT")
            try await sim.advanceClock(seconds: 61)
            #expect(code(try await sim.send(m, billno: billno(5))) == "SUCCESS")
        }
    }

    @Test("insufficient balance is NOTENOUGH and debits nothing")
    func notEnough() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec(balanceFen: 150))
            #expect(code(try await sim.send(m, billno: billno(1), amountFen: 200)) == "NOTENOUGH")
            #expect(try await sim.ledger().accounts.first?.balanceFen == 150)
        }
    }

    @Test("malformed XML is XML_ERROR; missing fields are PARAM_ERROR; group total_num outside 3–20 is PARAM_ERROR")
    func malformed() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let outcome = await sim.transport.post(m.baseURL + "/mmpaymkttransfers/sendredpack", body: Array("<xml><a>".utf8), identity: m.identity)
            guard case .response(200, let body) = outcome else { Issue.record("\(outcome)"); return }
            #expect(try WeChatXML.decode(body)["err_code"] == "XML_ERROR")
            var missing = sim.packet(m, billno: billno(1)).wireForTests(clientIP: "127.0.0.1")
            missing["act_name"] = nil
            #expect(try await sim.raw("/mmpaymkttransfers/sendredpack", missing, as: m)["err_code"] == "PARAM_ERROR")
            var group = sim.packet(m, billno: billno(2), amountFen: 600).wireForTests(clientIP: nil)
            group["total_num"] = "2"
            group["amt_type"] = "ALL_RAND"
            #expect(try await sim.raw("/mmpaymkttransfers/sendgroupredpack", group, as: m)["err_code"] == "PARAM_ERROR")
            group["total_num"] = "3"
            #expect(try await sim.raw("/mmpaymkttransfers/sendgroupredpack", group, as: m)["result_code"] == "SUCCESS")
        }
    }
}

extension RedPacketFields {
    /// WeChat field names of a sendredpack (total_num 1) for raw calls.
    func wireForTests(clientIP: String?) -> [String: String] {
        var fields = SendRedPack(packet: self, clientIP: clientIP ?? "").fields.filter { !$0.value.isEmpty }
        if clientIP == nil { fields["client_ip"] = nil }
        return fields
    }
}
