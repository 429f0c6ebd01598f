import Audit
import Foundation
@testable import Payouts
import Merchants
import Postgres
import Simulator
import Testing
import TestSupport
import WeChatPay

/// What a refusal is about — the entity, the user, or this instance — decides who routes
/// around what; and a transfer's number is never abandoned for a new one without FAILED.
@Suite("Refusals: about the entity, the user or this instance")
struct RefusalScopeTests {
    @Test("NOTENOUGH on a transfer's first send fails it under its one number: no new number on another entity without WeChat's FAILED")
    func transferKeepsItsNumber() async throws {
        let entities = [GatewayHarness.Entity("poor", mchId: "1900000631", balanceFen: 50, priority: 1),
                        GatewayHarness.Entity("rich", mchId: "1900000632", priority: 2)]
        try await GatewayHarness.with("scope-transfer", entities: entities) { gw in
            let order = PayoutOrder.transfer(appID: GatewayHarness.appID, openID: "oPayee", amountFen: 100, description: "理赔", checkName: "NO_CHECK",
                                             userName: nil)
            let id = try gw.payoutID(try await gw.submit(order))
            let payout = try await gw.payout(id)
            #expect(payout.status == .failed && payout.failure?.code == "NOTENOUGH" && payout.merchant == "poor")
            #expect(try await gw.sends(id).map(\.mchID) == ["1900000631"], "one partner_trade_no, never a second")
            #expect(try await gw.sim.ledger().transfers.isEmpty)
        }
    }

    @Test("one user flagged by risk control (NO_AUTH) cools no entity down; three distinct users refused within the window do")
    func noAuthForOneUser() async throws {
        let entities = [GatewayHarness.Entity("first", mchId: "1900000641", priority: 1), GatewayHarness.Entity("second", mchId: "1900000642", priority: 2)]
        try await GatewayHarness.with("scope-noauth", entities: entities) { gw in
            try await gw.sim.setUser("oFlagged1", riskFlagged: true)
            let flagged = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oFlagged1", amountFen: 100)))
            #expect(try await gw.payout(flagged).status == .failed)
            #expect(try await cooling(gw).isEmpty, "one user's refusal is not the entity's")
            let served = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oFine", amountFen: 100)))
            #expect(try await gw.payout(served).merchant == "first", "the entity still serves everybody else")

            for user in ["oFlagged2", "oFlagged3"] {
                try await gw.sim.setUser(user, riskFlagged: true)
                _ = try await gw.submit(GatewayHarness.order(openID: user, amountFen: 100))
            }
            #expect(try await cooling(gw) == ["first": "NO_AUTH", "second": "NO_AUTH"], "three users within the window: the entity's own")
        }
    }

    @Test("a connection this instance cannot make cools the entity down in this instance only, never for every instance")
    func localFailureStaysLocal() async throws {
        let entities = [GatewayHarness.Entity("unreachable", mchId: "1900000651", priority: 1, baseURL: "https://127.0.0.1:1"),
                        GatewayHarness.Entity("reachable", mchId: "1900000652", priority: 2)]
        try await GatewayHarness.with("scope-local", entities: entities) { gw in
            let first = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oA", amountFen: 100)))
            #expect(try await gw.payout(first).merchant == "reachable")
            #expect(try await gw.attempts(first).map(\.outcome) == ["not_sent", "success"])
            #expect(try await cooling(gw).isEmpty, "nothing shared in the database")
            let second = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oB", amountFen: 100)))
            #expect(try await gw.attempts(second).map(\.outcome) == ["success"], "this instance routes around it meanwhile")
        }
    }

    @Test("a shutting-down transport never fails a payout or moves it: its billno stays open for the reconciler")
    func shutdownKeepsTheBillnoOpen() async throws {
        let entities = [GatewayHarness.Entity("first", mchId: "1900000661", priority: 1), GatewayHarness.Entity("second", mchId: "1900000662", priority: 2)]
        try await GatewayHarness.with("scope-shutdown", entities: entities) { gw in
            gw.transport.shutdown()
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            let payout = try await gw.payout(id)
            #expect(payout.status == .unknown && payout.failure?.code == ErrorCatalog.Synthetic.notSent)
            #expect(try await gw.sends(id).map(\.state) == ["open"], "not closed, not moved to the second entity")
            #expect(try await cooling(gw).isEmpty)
        }
    }

    @Test("a cool-down is recorded on its entity's own audit chain, not the shared admin chain")
    func coolDownChain() async throws {
        let entities = [GatewayHarness.Entity("broke", mchId: "1900000671", balanceFen: 0, priority: 1),
                        GatewayHarness.Entity("funded", mchId: "1900000672", priority: 2)]
        try await GatewayHarness.with("scope-chain", entities: entities) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            #expect(try await gw.payout(id).merchant == "funded")
            let chains = try await gw.pool.query("SELECT chain FROM audit_log WHERE action = 'merchant.cooldown'").rows.map { try $0.decode(column: 0, as: String.self) }
            #expect(chains == ["merchant:broke"])
            #expect(try await AuditVerifier(pool: gw.pool).verify().broken == nil)
        }
    }

    @Test("a refusal about the signer (SIGN_ERROR) is every entity's that signs as the same provider: the send moves to another provider's entity, never a sibling, and all siblings cool down")
    func signerRefusalCoversSiblings() async throws {
        let provider = GatewayHarness.Provider(mchId: "1900000200", subMerchants: [
            .init("sub-a", subMchId: "1900000301", msgAppID: GatewayHarness.appID, priority: 1),
            .init("sub-b", subMchId: "1900000302", msgAppID: GatewayHarness.appID, priority: 1),
            .init("sub-c", subMchId: "1900000303", msgAppID: GatewayHarness.appID, priority: 1),
        ])
        try await GatewayHarness.with("scope-signer", entities: [.init("direct", mchId: "1900000109", priority: 2)], providers: [provider]) { gw in
            // The provider's APIv2 key file now holds another key: WeChat answers SIGN_ERROR for every sub-merchant.
            try gw.fixture.writeSecret("WrongWrongWrongWrongWrongWrong32", named: "provider-1900000200.apikey")
            if case .failure(let failure) = gw.registry.reload() { throw TestSetupError("reload failed: \(failure)") }
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oSigner", amountFen: 100)))
            let payout = try await gw.payout(id)
            #expect(payout.status == .sent && payout.merchant == "direct")
            #expect(try await gw.attempts(id).map(\.code) == ["SIGN_ERROR", nil], "one sub-merchant refused, then straight to the other provider")
            #expect(try await cooling(gw) == ["sub-a": "SIGN_ERROR", "sub-b": "SIGN_ERROR", "sub-c": "SIGN_ERROR"])
            let next = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oSigner2", amountFen: 100)))
            #expect(try await gw.attempts(next).map(\.code) == [nil], "routing skips the whole provider meanwhile")
        }
    }

    /// Entities cooling down in the database, with the code.
    func cooling(_ gw: GatewayHarness) async throws -> [String: String] {
        try await gw.pool.query("SELECT name, cooldown_code FROM merchant_state WHERE cooldown_until > now()").rows
            .reduce(into: [:]) { map, row in
                let (name, code) = try row.decode((String, String).self)
                map[name] = code
            }
    }
}
