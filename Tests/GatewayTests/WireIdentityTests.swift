import Foundation
import Merchants
@testable import Payouts
import Simulator
import Testing
import TestSupport

/// A billno is WeChat's under the account that sent it. For a sub-merchant that account is
/// its provider, named by the file, not by the payout: re-pointing the file while a billno
/// is open must not make the gateway ask about it, or send it, as someone else (WeChat
/// would answer NOT_FOUND and a resend would pay the user twice). Migration 0018.
@Suite("A billno is sent and asked about only as the identity it was made with")
struct WireIdentityTests {
    static let minute: TimeInterval = 60
    static let subA = GatewayHarness.SubMerchant("sub-a", subMchId: "1900000301", msgAppID: GatewayHarness.appID)
    /// The sub-merchant's first provider, and a second one that also serves it.
    static let first = GatewayHarness.Provider(mchId: "1900000200", subMerchants: [subA])
    static let second = GatewayHarness.Provider(mchId: "1900000210", subMerchants: [subA])

    /// A payout on sub-a whose packet WeChat paid while the answer was lost: open, unknown.
    func paidButUnanswered(_ gw: GatewayHarness) async throws -> UUID {
        try await gw.sim.freezeClock()
        try await gw.sim.setFaults(FaultPlan(dropAfterCommit: true, rate: 1))
        let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 130)))
        try await gw.sim.setFaults(nil)
        #expect(try await gw.payout(id).status == .unknown)
        #expect(try await gw.sim.ledger().packets.count == 1, "WeChat paid it")
        return id
    }

    func repoint(_ gw: GatewayHarness, to account: AccountCreatedBody) throws {
        try gw.fixture.addSimulatedPartner(Self.subA, created: account, sim: gw.sim)
        if case .failure(let failure) = gw.registry.reload() { throw TestSetupError("reload failed: \(failure)") }
    }

    @Test("re-pointed at another provider while a billno is open: no gethbinfo, no resend, no refresh as the new provider; put back, the billno is found paid")
    func repointedProviderIsNotAsked() async throws {
        try await GatewayHarness.with("wire-provider", entities: [], providers: [Self.first]) { gw in
            let id = try await paidButUnanswered(gw)
            let firstAccount = try #require(gw.accounts["provider-1900000200"])
            let secondAccount = try await GatewayHarness.createAccount(Self.second, sim: gw.sim)
            try repoint(gw, to: secondAccount)
            try await gw.sim.advanceClock(seconds: 5) // WeChat has finished sending the first packet

            // Well past the sending and not-found graces: before 0018 this asked the second
            // provider (NOT_FOUND) and resent the billno under it.
            for offset in [10 * Self.minute, 60 * Self.minute, 6 * 60 * Self.minute] {
                _ = try await gw.reconciler(offset: offset).pass()
            }
            #expect(try await gw.attempts(id).map(\.api) == ["sendredpack"], "nothing was asked or sent as the second provider")
            #expect(try await gw.sim.ledger().packets.count == 1, "one packet, the first provider's")
            #expect(try await gw.payout(id).status == .unknown, "left open for the entity it was sent as")
            let payout = try await gw.payout(id)
            let refused = try #require(await #expect(throws: PayoutError.self) { _ = try await gw.engine.refresh(payout, actor: "test", requestID: nil) })
            #expect(refused.code == "merchant_unavailable")
            #expect(refused.message.contains("mch_id=1900000200") && refused.message.contains("mch_id=1900000210"), "\(refused.message)")

            // The operator puts the file back: the billno is asked about as it was sent, and found paid.
            try repoint(gw, to: firstAccount)
            _ = try await gw.reconciler(offset: 7 * 60 * Self.minute).pass()
            #expect(try await gw.payout(id).status == .sent)
            #expect(try await gw.attempts(id).map(\.api) == ["sendredpack", "gethbinfo"])
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("re-pointed past WeChat's window: the payout goes to a person, never resent")
    func repointedPastTheWindowNeedsAttention() async throws {
        try await GatewayHarness.with("wire-attention", entities: [], providers: [Self.first]) { gw in
            let id = try await paidButUnanswered(gw)
            try repoint(gw, to: try await GatewayHarness.createAccount(Self.second, sim: gw.sim))
            try await gw.sim.advanceClock(seconds: 5)
            _ = try await gw.reconciler(offset: 30 * 24 * 60 * Self.minute).pass()
            #expect(try await gw.payout(id).status == .needsAttention)
            #expect(try await gw.attempts(id).map(\.api) == ["sendredpack"])
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("each billno records the identity it was sent as, and the database refuses to change it")
    func recordedAndKept() async throws {
        try await GatewayHarness.with("wire-record", entities: [.init("direct", mchId: "1900000109")], providers: [Self.first]) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 120)))
            let row = try #require(try await gw.pool.query("""
                SELECT p.merchant, p.sent_as, s.sent_as FROM payouts p JOIN payout_sends s ON s.payout_id = p.id WHERE p.id = $1
                """, [id]).first)
            let (merchant, payoutSentAs, sendSentAs) = try row.decode((String, String, String).self)
            let expected = merchant == "direct"
                ? "wechatpay.v2 mch_id=1900000109"
                : "wechatpay.v2.partner mch_id=1900000200 wxappid=wx8888888888888888 sub_mch_id=1900000301 consume_mch_id=-"
            #expect(payoutSentAs == expected && sendSentAs == expected)
            await #expect(throws: (any Error).self) {
                try await gw.pool.query("UPDATE payout_sends SET sent_as = 'wechatpay.v2 mch_id=1900000999' WHERE payout_id = $1", [id])
            }
            await #expect(throws: (any Error).self) {
                try await gw.pool.query("UPDATE payouts SET sent_as = 'wechatpay.v2 mch_id=1900000999' WHERE id = $1", [id])
            }
        }
    }
}
