import Foundation
@testable import Simulator
import Testing
import TestSupport
import WeChatPay

/// A service provider (服务商) sending for its sub-merchants (reference §3.1, §4.6, §5.1),
/// over real HTTPS with the provider's client certificate.
@Suite("Simulator: service providers and their sub-merchants")
struct ServiceProviderTests {
    static let provider = "1900000200"
    static let subA = "1900000201"
    static let subB = "1900000202"
    static let appA = "wxsubaaaaaaaaaaa1"
    static let appB = "wxsubbbbbbbbbbbb2"

    static func sub(_ id: String, appid: String, balanceFen: Int64, limits: SimAccountSpec.Limits? = nil,
                    onboardedOn: String = "2025-01-01") -> SimSubMerchantSpec {
        SimSubMerchantSpec(subMchId: id, appids: [.init(id: appid, type: .officialAccount)], onboardedOn: BusinessDay(iso: onboardedOn)!,
                           tradingSince: BusinessDay(iso: "2025-01-01")!, balanceFen: balanceFen, limits: limits)
    }

    /// The provider (10,000 fen of its own) with sub-merchants A (5,000) and B (3,000) unless told otherwise.
    static func providerSpec(mchId: String = provider, balanceFen: Int64 = 10_000, subs: [SimSubMerchantSpec]? = nil) -> SimAccountSpec {
        var spec = SimulatorHarness.qualifiedSpec(mchId: mchId, balanceFen: balanceFen)
        spec.subMerchants = subs ?? [sub(subA, appid: appA, balanceFen: 5000), sub(subB, appid: appB, balanceFen: 3000)]
        return spec
    }

    /// sendredpack fields in SP mode, written out by hand.
    static func spPacket(_ merchant: MerchantCredentials, billno n: Int, sub: String = subA, msgappid: String? = appA,
                         amount: String = "300", openid: String = "oUser1", consume: String? = nil) -> [String: String] {
        var fields = handPacket(merchant, billno: billno(n, mch: provider), amount: amount, openid: openid)
        fields["sub_mch_id"] = sub
        fields["msgappid"] = msgappid
        fields["consume_mch_id"] = consume
        return fields
    }

    struct Summary: Decodable {
        struct Account: Decodable {
            let mchId: String
            let balanceFen: Int64
            let sentFen: Int64
            let refundedFen: Int64
            let subMerchants: [Sub]?
        }
        struct Sub: Decodable, Equatable {
            let subMchId: String
            let balanceFen: Int64
            let fundedFen: Int64
            let sentFen: Int64
            let refundedFen: Int64
            let counterUsers: Int
        }
        let accounts: [Account]
    }

    struct Page: Decodable {
        struct Packet: Decodable {
            let billno: String
            let status: String
            let subMchId: String?
            let fundMchId: String
        }
        let packets: [Packet]
    }

    /// The provider's own balance and each sub-merchant's, from `/_sim/ledger/summary`.
    static func balances(_ sim: SimulatorHarness, _ mchId: String = provider) async throws -> [String: Int64] {
        let summary: Summary = try await sim.control("/_sim/ledger/summary")
        let account = try #require(summary.accounts.first { $0.mchId == mchId })
        var out = [mchId: account.balanceFen]
        for sub in account.subMerchants ?? [] { out[sub.subMchId] = sub.balanceFen }
        return out
    }

    static func packet(_ sim: SimulatorHarness, _ n: Int) async throws -> Page.Packet {
        let page: Page = try await sim.control("/_sim/ledger?kind=packets&mch_id=\(provider)&billno=\(billno(n, mch: provider))")
        return try #require(page.packets.first)
    }

    struct Created: Decodable {
        struct Sub: Decodable {
            let subMchId: String
            let appids: [SimAccountSpec.AppID]
            let balanceFen: Int64
            let fundedFen: Int64
        }
        let mchId: String
        let apiKey: String
        let subMerchants: [Sub]?
    }

    @Test("POST /_sim/accounts takes sub_merchants and lists them in its answer; a direct account's answer has none; bad entries are 400")
    func createdAnswer() async throws {
        try await SimulatorHarness.with { sim in
            let created: Created = try await sim.control("POST", "/_sim/accounts", body: Self.providerSpec())
            #expect(created.mchId == "1900000200" && created.apiKey.count == 32)
            #expect(created.subMerchants?.map(\.subMchId) == ["1900000201", "1900000202"])
            #expect(created.subMerchants?.map(\.balanceFen) == [5000, 3000])
            #expect(created.subMerchants?.map(\.fundedFen) == [5000, 3000])
            #expect(created.subMerchants?.first?.appids == [.init(id: "wxsubaaaaaaaaaaa1", type: .officialAccount)])
            let direct: Created = try await sim.control("POST", "/_sim/accounts", body: SimulatorHarness.qualifiedSpec())
            #expect(direct.subMerchants == nil)
            let twice = Self.providerSpec(subs: [Self.sub(Self.subA, appid: Self.appA, balanceFen: 1), Self.sub(Self.subA, appid: Self.appB, balanceFen: 1)])
            #expect(try await sim.controlStatus("POST", "/_sim/accounts", body: twice) == 400)
            let itself = Self.providerSpec(subs: [Self.sub(Self.provider, appid: Self.appA, balanceFen: 1)])
            #expect(try await sim.controlStatus("POST", "/_sim/accounts", body: itself) == 400)
        }
    }

    @Test("an SP send succeeds and debits the sub-merchant only; the ledger names the sub-merchant and the fund source")
    func spSendDebitsSubMerchant() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            let answer = try await sim.raw(Path.send, Self.spPacket(p, billno: 1), as: p)
            #expect(answer["result_code"] == "SUCCESS" && answer["mch_id"] == "1900000200" && answer["total_amount"] == "300")
            #expect(try await Self.balances(sim) == ["1900000200": 10_000, "1900000201": 4700, "1900000202": 3000])
            let packet = try await Self.packet(sim, 1)
            #expect(packet.subMchId == "1900000201" && packet.fundMchId == "1900000201")
            // A direct send of the same provider still pays from its own balance and names no sub-merchant.
            #expect(try await sim.raw(Path.send, handPacket(p, billno: billno(2, mch: Self.provider)), as: p)["result_code"] == "SUCCESS")
            #expect(try await Self.balances(sim) == ["1900000200": 9900, "1900000201": 4700, "1900000202": 3000])
            let direct = try await Self.packet(sim, 2)
            #expect(direct.subMchId == nil && direct.fundMchId == "1900000200")
        }
    }

    @Test("ACCEPTMODE_ERROR for a sub-merchant of another provider and for an unknown one; nothing is debited")
    func acceptMode() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            try await sim.createMerchant(Self.providerSpec(mchId: "1900000300", subs: [Self.sub("1900000301", appid: "wxothersub0000001", balanceFen: 1000)]))
            let foreign = try await sim.raw(Path.send, Self.spPacket(p, billno: 1, sub: "1900000301", msgappid: "wx8888888888888888"), as: p)
            #expect(foreign["err_code"] == "ACCEPTMODE_ERROR" && foreign["result_code"] == "FAIL")
            let unknown = try await sim.raw(Path.send, Self.spPacket(p, billno: 2, sub: "1234567", msgappid: "wx8888888888888888"), as: p)
            #expect(unknown["err_code"] == "ACCEPTMODE_ERROR")
            let group = try await sim.raw(Path.group, Self.spPacket(p, billno: 3, sub: "1234567", amount: "300").merging(["total_num": "3", "amt_type": "ALL_RAND"]) { $1 }, as: p)
            #expect(group["err_code"] == "ACCEPTMODE_ERROR")
            #expect(try await Self.balances(sim) == ["1900000200": 10_000, "1900000201": 5000, "1900000202": 3000])
        }
    }

    @Test("MSGAPPID_ERROR for a msgappid bound to neither the provider nor that sub-merchant, and for a missing one")
    func msgappid() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, msgappid: "wxnotbound000001"), as: p)["err_code"] == "MSGAPPID_ERROR")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 2, msgappid: nil), as: p)["err_code"] == "MSGAPPID_ERROR")
            // Sub-merchant B's appid is not A's.
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 3, msgappid: Self.appB), as: p)["err_code"] == "MSGAPPID_ERROR")
            // The provider's own appid and the sub-merchant's both reach the user.
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 4, msgappid: "wx8888888888888888"), as: p)["result_code"] == "SUCCESS")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 5, msgappid: Self.appA), as: p)["result_code"] == "SUCCESS")
            #expect(try await Self.balances(sim) == ["1900000200": 10_000, "1900000201": 4400, "1900000202": 3000])
        }
    }

    @Test("SP mode needs the provider's certificate for the provider's mch_id: another account's is CA_ERROR")
    func providerCertificate() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            let other = try await sim.createMerchant(SimulatorHarness.qualifiedSpec())
            let answer = try await sim.raw(Path.send, Self.spPacket(p, billno: 1), as: other, key: p.apiKey.reveal())
            #expect(answer["err_code"] == "CA_ERROR")
            #expect(try await Self.balances(sim) == ["1900000200": 10_000, "1900000201": 5000, "1900000202": 3000])
        }
    }

    @Test("the sub-merchant's qualification applies: one onboarded too recently is NO_AUTH though its provider qualifies")
    func subMerchantQualification() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec(subs: [Self.sub(Self.subA, appid: Self.appA, balanceFen: 5000, onboardedOn: "2099-01-01")]))
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1), as: p)["err_code"] == "NO_AUTH")
            #expect(try await sim.raw(Path.send, handPacket(p, billno: billno(2, mch: Self.provider)), as: p)["result_code"] == "SUCCESS")
        }
    }

    @Test("per-minute and per-user limits are each sub-merchant's: A's are spent, B and the provider still send")
    func limitsPerSubMerchant() async throws {
        try await SimulatorHarness.with { sim in
            let tight = SimAccountSpec.Limits(perMinute: 2, perUserPerDay: 1, minFen: 100, maxFen: 10_000, dailyFen: 5_000_000)
            let p = try await sim.createMerchant(Self.providerSpec(subs: [Self.sub(Self.subA, appid: Self.appA, balanceFen: 5000, limits: tight),
                                                                           Self.sub(Self.subB, appid: Self.appB, balanceFen: 3000)]))
            try await sim.freezeClock() // one sim minute for the whole test
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, openid: "oUser1"), as: p)["result_code"] == "SUCCESS")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 2, openid: "oUser1"), as: p)["err_code"] == "SENDNUM_LIMIT")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 3, openid: "oUser2"), as: p)["result_code"] == "SUCCESS")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 4, openid: "oUser3"), as: p)["err_code"] == "FREQ_LIMIT")
            for (n, user) in [(5, "oUser1"), (6, "oUser1"), (7, "oUser3")] {
                let answer = try await sim.raw(Path.send, Self.spPacket(p, billno: n, sub: Self.subB, msgappid: Self.appB, openid: user), as: p)
                #expect(answer["result_code"] == "SUCCESS", "B's send \(n)")
            }
            #expect(try await sim.raw(Path.send, handPacket(p, billno: billno(8, mch: Self.provider), openid: "oUser1"), as: p)["result_code"] == "SUCCESS")
            // A's amount range is its own too: 10,001 fen is above its max, not the provider's (20,000).
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 9, amount: "10001", openid: "oUser4"), as: p)["err_code"] == "MONEY_LIMIT")
            #expect(try await Self.balances(sim) == ["1900000200": 9900, "1900000201": 4400, "1900000202": 2100])
        }
    }

    @Test("consume_mch_id names the fund source: the provider or another sub-merchant pays; a stranger is PARAM_ERROR; a short source is NOTENOUGH")
    func consumeMchId() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec(subs: [Self.sub(Self.subA, appid: Self.appA, balanceFen: 5000),
                                                                           Self.sub(Self.subB, appid: Self.appB, balanceFen: 500)]))
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, consume: Self.provider), as: p)["result_code"] == "SUCCESS")
            #expect(try await Self.balances(sim) == ["1900000200": 9700, "1900000201": 5000, "1900000202": 500])
            #expect(try await Self.packet(sim, 1).fundMchId == "1900000200")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 2, amount: "400", consume: Self.subB), as: p)["result_code"] == "SUCCESS")
            #expect(try await Self.balances(sim) == ["1900000200": 9700, "1900000201": 5000, "1900000202": 100])
            let packet = try await Self.packet(sim, 2)
            #expect(packet.subMchId == "1900000201" && packet.fundMchId == "1900000202")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 3, consume: "1900000999"), as: p)["err_code"] == "PARAM_ERROR")
            // B has 100 fen left: short, though A (the sub-merchant sent for) has plenty.
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 4, amount: "200", consume: Self.subB), as: p)["err_code"] == "NOTENOUGH")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 5, amount: "5001"), as: p)["err_code"] == "NOTENOUGH")
            #expect(try await Self.balances(sim) == ["1900000200": 9700, "1900000201": 5000, "1900000202": 100])
        }
    }

    @Test("a resend with identical SP fields is the same order; the same billno for another sub-merchant or msgappid is FATAL_ERROR")
    func reentrant() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            let first = try await sim.raw(Path.send, Self.spPacket(p, billno: 1), as: p)
            let listid = try #require(first["send_listid"])
            let again = try await sim.raw(Path.send, Self.spPacket(p, billno: 1), as: p)
            #expect(again["result_code"] == "SUCCESS" && again["send_listid"] == listid)
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, sub: Self.subB, msgappid: Self.appB), as: p)["err_code"] == "FATAL_ERROR")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, msgappid: "wx8888888888888888"), as: p)["err_code"] == "FATAL_ERROR")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, consume: Self.provider), as: p)["err_code"] == "FATAL_ERROR")
            #expect(try await Self.balances(sim) == ["1900000200": 10_000, "1900000201": 4700, "1900000202": 3000])
        }
    }

    @Test("gethbinfo with the provider's mch_id and the billno finds an SP packet; a sub_mch_id sent along is ignored")
    func queryFindsSPPacket() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, amount: "350"), as: p)["result_code"] == "SUCCESS")
            let query = ["mch_billno": billno(1, mch: Self.provider), "mch_id": Self.provider, "appid": "wx8888888888888888", "bill_type": "MCHT"]
            let found = try await sim.raw(Path.query, query, as: p)
            #expect(found["result_code"] == "SUCCESS" && found["total_amount"] == "350" && found["mch_id"] == "1900000200")
            let withSub = try await sim.raw(Path.query, query.merging(["sub_mch_id": Self.subB]) { $1 }, as: p)
            #expect(withSub["result_code"] == "SUCCESS" && withSub["total_amount"] == "350")
        }
    }

    @Test("the control API opens an SP packet named by its sub-merchant's number as well as by its provider's; a sub-merchant it was not sent for finds nothing")
    func receiveBySubMerchant() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, amount: "350"), as: p)["result_code"] == "SUCCESS")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 2, amount: "360"), as: p)["result_code"] == "SUCCESS")
            let empty = [String: String]()
            #expect(try await sim.controlStatus("POST", "/_sim/redpacks/\(Self.subA)/\(billno(1, mch: Self.provider))/receive", body: empty) == 200)
            #expect(try await sim.controlStatus("POST", "/_sim/redpacks/\(Self.provider)/\(billno(2, mch: Self.provider))/receive", body: empty) == 200)
            let (first, second) = (try await Self.packet(sim, 1), try await Self.packet(sim, 2))
            #expect(first.status == "RECEIVED" && second.status == "RECEIVED")
            #expect(try await sim.controlStatus("POST", "/_sim/redpacks/1900000299/\(billno(1, mch: Self.provider))/receive", body: empty) == 404)
        }
    }

    @Test("an unclaimed SP packet is refunded after 25 h to the source that paid it")
    func refundToFundSource() async throws {
        try await SimulatorHarness.with { sim in
            let p = try await sim.createMerchant(Self.providerSpec())
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 1, amount: "300"), as: p)["result_code"] == "SUCCESS")
            #expect(try await sim.raw(Path.send, Self.spPacket(p, billno: 2, amount: "200", consume: Self.subB), as: p)["result_code"] == "SUCCESS")
            #expect(try await Self.balances(sim) == ["1900000200": 10_000, "1900000201": 4700, "1900000202": 2800])
            try await sim.advanceClock(seconds: 90_000 + 10)
            #expect(try await Self.balances(sim) == ["1900000200": 10_000, "1900000201": 5000, "1900000202": 3000])
            #expect(try await Self.packet(sim, 1).status == "REFUND")
            let summary: Summary = try await sim.control("/_sim/ledger/summary")
            let subs = try #require(summary.accounts.first { $0.mchId == Self.provider }?.subMerchants)
            // Both packets were sent for A (one user counted); B only paid one.
            #expect(subs == [.init(subMchId: "1900000201", balanceFen: 5000, fundedFen: 5000, sentFen: 300, refundedFen: 300, counterUsers: 1),
                             .init(subMchId: "1900000202", balanceFen: 3000, fundedFen: 3000, sentFen: 200, refundedFen: 200, counterUsers: 0)])
        }
    }

    @Test("SP state survives a restart: balances, the ledger's fund sources, re-entrancy and the sub-merchant's counters")
    func survivesRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-sim-sp-\(UUID())")
        let tight = SimAccountSpec.Limits(perMinute: 1800, perUserPerDay: 1, minFen: 100, maxFen: 20_000, dailyFen: 5_000_000)
        let spec = Self.providerSpec(subs: [Self.sub(Self.subA, appid: Self.appA, balanceFen: 5000, limits: tight),
                                            Self.sub(Self.subB, appid: Self.appB, balanceFen: 3000)])
        let (p, listid) = try await SimulatorHarness.with(stateDirectory: directory) { first in
            let p = try await first.createMerchant(spec)
            let answer = try await first.raw(Path.send, Self.spPacket(p, billno: 1, openid: "oUser1"), as: p)
            #expect(try await first.raw(Path.send, Self.spPacket(p, billno: 2, amount: "250", openid: "oUser2", consume: Self.subB), as: p)["result_code"] == "SUCCESS")
            return (p, try #require(answer["send_listid"]))
        }
        try await SimulatorHarness.with(stateDirectory: directory) { second in
            let again = MerchantCredentials(merchantID: p.merchantID, baseURL: second.baseURL, apiKey: p.apiKey, identity: p.identity)
            #expect(try await Self.balances(second) == ["1900000200": 10_000, "1900000201": 4700, "1900000202": 2750])
            #expect(try await second.raw(Path.send, Self.spPacket(again, billno: 1, openid: "oUser1"), as: again)["send_listid"] == listid)
            #expect(try await Self.packet(second, 2).fundMchId == "1900000202")
            #expect(try await Self.packet(second, 2).subMchId == "1900000201")
            // A's counters came back with it (oUser1 and oUser2, both sent for A); B counted no one.
            let summary: Summary = try await second.control("/_sim/ledger/summary")
            let subs = try #require(summary.accounts.first { $0.mchId == Self.provider }?.subMerchants)
            #expect(subs.map(\.subMchId) == ["1900000201", "1900000202"] && subs.map(\.counterUsers) == [2, 0])
        }
    }

    @Test("after a crash (no snapshot) the journal replays sub-merchant funding and SP packets to the same totals")
    func journalReplay() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-journal-sp-\(UUID())")
        let first = try SimLedger(directory: directory, settings: JournalSettings(batchMilliseconds: 0))
        let issued = try SimulatorCA.generate().issueClient(merchantID: Self.provider)
        _ = first.upsert(Self.providerSpec(), certificate: issued, der: try SimulatorCA.der(of: issued.certificatePEM))
        func fields(_ n: Int, consume: String?) -> [String: String] {
            var f = ["nonce_str": "n\(n)", "sign": "S", "mch_billno": billno(n, mch: Self.provider), "mch_id": Self.provider,
                     "wxappid": "wx8888888888888888", "send_name": "ACME", "re_openid": "o\(n)", "total_amount": "100", "total_num": "1",
                     "wishing": "w", "client_ip": "10.0.0.1", "act_name": "a", "remark": "r", "sub_mch_id": Self.subA, "msgappid": Self.appA]
            f["consume_mch_id"] = consume
            return f
        }
        let book = try #require(first.book(Self.provider))
        var listids: [Int: String] = [:]
        for n in 1...6 {
            let answer = first.send(.sendRedPack, fields(n, consume: n.isMultiple(of: 2) ? Self.subB : nil), book, book.account)
            let listid: String = try #require(answer["send_listid"])
            listids[n] = listid
        }
        let before = first.summary()
        let subs = try #require(before.first?.subMerchants)
        #expect(subs.map(\.balanceFen) == [4700, 2700])
        first.journal.close() // as a crash would leave it
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(SnapshotFile.name).path))

        let second = try SimLedger(directory: directory, settings: JournalSettings(batchMilliseconds: 0))
        #expect(second.summary() == before)
        let again = try #require(second.book(Self.provider))
        for n in 1...6 {
            #expect(second.send(.sendRedPack, fields(n, consume: n.isMultiple(of: 2) ? Self.subB : nil), again, again.account)["send_listid"] == listids[n])
        }
        // Compacted into a snapshot and read back: the same again.
        try second.compact()
        second.journal.close()
        let third = try SimLedger(directory: directory, settings: JournalSettings(batchMilliseconds: 0))
        #expect(third.summary() == before)
        third.journal.close()
    }
}
