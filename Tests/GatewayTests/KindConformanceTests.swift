import Foundation
import Merchants
@testable import Payouts
import Simulator
import Testing
import TestSupport
import WeChatPay

/// What every registered merchant kind must do the same way (docs/merchant-kinds.md): load
/// a good file and refuse a bad one naming the field, give routing its facts, send a billno
/// as the identical request every time, read WeChat's answers into the same verdicts, and
/// follow a payout to its final state. A new kind adds itself to `kinds`.
@Suite("Merchant kind conformance")
struct KindConformanceTests {
    /// One kind as the suite drives it.
    struct Kind: Sendable, CustomTestStringConvertible {
        let name: String
        /// The harness's entities and providers, with this much money where the kind's packets are paid from.
        let setup: @Sendable (_ balanceFen: Int64) -> (entities: [GatewayHarness.Entity], providers: [GatewayHarness.Provider])
        /// The entity the payouts land on.
        let entity: String
        /// The number its billnos, limits and usage are counted under.
        let merchantID: String
        /// The simulator account WeChat books its packets under.
        let wechatAccount: String
        /// A field its file cannot go without, and a good file missing only it.
        let requiredField: String
        let writeWithoutRequired: @Sendable (MerchantFixture) throws -> Void
        var testDescription: String { name }
    }

    static let kinds: [Kind] = [
        Kind(name: "wechatpay.v2", setup: { ([.init("acme", mchId: "1900000109", balanceFen: $0)], []) }, entity: "acme", merchantID: "1900000109",
             wechatAccount: "1900000109", requiredField: "mch_id",
             writeWithoutRequired: { try $0.add("acme", mchId: "1900000109") { $0["mch_id"] = nil } }),
        Kind(name: "wechatpay.v2.partner",
             setup: { ([], [.init(mchId: "1900000200", subMerchants: [.init("sub-a", subMchId: "1900000301", msgAppID: GatewayHarness.appID, balanceFen: $0)])]) },
             entity: "sub-a", merchantID: "1900000301", wechatAccount: "1900000200", requiredField: "sub_mch_id",
             writeWithoutRequired: { try $0.addPartner("sub-a", providerMchId: "1900000200", subMchId: "1900000301") { $0["sub_mch_id"] = nil } }),
    ]

    @Test("the registered kinds are the ones this suite drives", arguments: [MerchantKinds.standard.names])
    func everyKindIsDriven(names: [String]) {
        #expect(names == Self.kinds.map(\.name).sorted())
    }

    @Test("a good file loads with routing's facts; one without its required field is refused naming that field", arguments: kinds)
    func loading(kind: Kind) async throws {
        try await GatewayHarness.with("conf-load", entities: kind.setup(1_000_000).entities, providers: kind.setup(1_000_000).providers) { gw in
            let merchant = try #require(gw.registry.snapshot.merchant(named: kind.entity))
            #expect(merchant.kind == kind.name && merchant.merchantID == kind.merchantID)
            #expect(merchant.appIDs.map(\.id) == [GatewayHarness.appID])
        }
        let fixture = try MerchantFixture()
        try kind.writeWithoutRequired(fixture)
        let failure = try #require(throws: MerchantLoadFailure.self) { try MerchantLoader(directory: fixture.directory, environment: [:]).load() }
        #expect(failure.errors.map(\.field) == [kind.requiredField], "\(failure.errors)")
    }

    @Test("a send is booked under the kind's numbers; sending the same billno again is the same order, not a second packet", arguments: kinds)
    func reentrantSend(kind: Kind) async throws {
        try await GatewayHarness.with("conf-send", entities: kind.setup(1_000_000).entities, providers: kind.setup(1_000_000).providers) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oConform", amountFen: 120)))
            let payout = try await gw.payout(id)
            #expect(payout.status == .sent && payout.merchant == kind.entity && payout.mchID == kind.merchantID && payout.billno.hasPrefix(kind.merchantID))
            let merchant = try #require(gw.registry.snapshot.merchant(named: kind.entity))
            let (again, _) = await gw.gateway.connectors.connector(for: merchant).send(payout, as: merchant)
            guard case .success(let answer) = again else { throw TestSetupError("the resend was not accepted: \(again)") }
            #expect(answer.orderID == payout.sendListID, "the same order")
            let packets = try await gw.sim.ledger().packets
            #expect(packets.count == 1 && packets.first?.mchId == kind.wechatAccount && packets.first?.billno == payout.billno)
        }
    }

    @Test("an answer that leaves the outcome open is unknown for every kind, and the reconciler settles it from WeChat's word", arguments: kinds)
    func sameVerdicts(kind: Kind) async throws {
        try await GatewayHarness.with("conf-verdict", entities: kind.setup(1_000_000).entities, providers: kind.setup(1_000_000).providers) { gw in
            try await gw.sim.setFaults(FaultPlan(systemerror: true, rate: 1))
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oVerdict")))
            #expect(try await gw.payout(id).status == .unknown, "SYSTEMERROR after commit: money may have moved")
            try await gw.sim.setFaults(nil)
            // WeChat's packet leaves SENDING a second after the send (on its clock).
            try await gw.sim.advanceClock(seconds: 2)
            _ = try await gw.reconciler(offset: 120).pass()
            let settled = try await gw.payout(id)
            let attempts = try await gw.attempts(id)
            #expect(settled.status == .sent, "gethbinfo found the committed order: \(settled.status) \(attempts)")
            #expect(try await gw.sim.ledger().packets.count == 1)
        }
    }

    @Test("a definite refusal (NOTENOUGH: nothing paid) fails the payout alike for every kind, with WeChat's code", arguments: kinds)
    func definiteRefusal(kind: Kind) async throws {
        let poor = kind.setup(50)
        try await GatewayHarness.with("conf-refused", entities: poor.entities, providers: poor.providers) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oPoor", amountFen: 100)))
            let payout = try await gw.payout(id)
            #expect(payout.status == .failed && payout.failure?.code == "NOTENOUGH", "\(payout.status) \(String(describing: payout.failure))")
            #expect(try await gw.sends(id).map(\.state) == ["failed"], "the billno is closed: nothing was paid")
            #expect(try await gw.sim.ledger().packets.isEmpty)
        }
    }

    @Test("a packet is followed to its final state", arguments: kinds)
    func finalState(kind: Kind) async throws {
        try await GatewayHarness.with("conf-final", entities: kind.setup(1_000_000).entities, providers: kind.setup(1_000_000).providers) { gw in
            let sent = try await gw.payout(try gw.payoutID(try await gw.submit(GatewayHarness.order(openID: "oFinal"))))
            #expect(try await gw.sim.controlStatus("POST", "/_sim/redpacks/\(kind.wechatAccount)/\(sent.billno)/receive", body: [String: String]()) == 200)
            #expect(try await gw.engine.refresh(sent, actor: "test", requestID: nil).status == .received)
        }
    }
}
