import Foundation
import Payouts
import Merchants
import Postgres
import Simulator
import Testing
import TestSupport
import WeChatPay

@Suite("Enterprise payments (企业付款到零钱) through the same engine")
struct TransferTests {
    static func order(openID: String = "oPay1", amountFen: Int64 = 1500, checkName: String = "NO_CHECK", userName: String? = nil) -> PayoutOrder {
        .transfer(appID: GatewayHarness.appID, openID: openID, amountFen: amountFen, description: "理赔", checkName: checkName, userName: userName)
    }

    @Test("a transfer is debited once (sent = PROCESSING), then SUCCESS is recorded as received by the reconciler")
    func succeeds() async throws {
        try await GatewayHarness.with("tr-success") { gw in
            try await gw.sim.freezeClock()
            let id = try gw.payoutID(try await gw.submit(Self.order()))
            let sent = try await gw.payout(id)
            #expect(sent.kind == .transfer && sent.status == .sent && sent.billno.count == 28 && sent.sendListID != nil)
            let ledger = try await gw.sim.ledger()
            #expect(ledger.transfers.map(\.partnerTradeNo) == [sent.billno] && ledger.packets.isEmpty)
            #expect(try await gw.attempts(id).map(\.api) == ["transfers"])

            let processing = try await gw.reconciler(offset: 2 * 60).pass()
            #expect(processing.outcomes[.waiting] == 1, "PROCESSING: still sent")
            try await gw.sim.advanceClock(seconds: 60)
            let pass = try await gw.reconciler(offset: 10 * 60).pass()
            #expect(pass.outcomes[.settled] == 1)
            let done = try await gw.payout(id)
            #expect(done.status == .received && done.finalAt != nil && done.receivers.first?.amountFen == 1500)
            #expect(try await gw.events(id) == ["transfer.processing", "transfer.succeeded"])
            #expect(try await gw.attempts(id).map(\.api) == ["transfers", "gettransferinfo", "gettransferinfo"])
        }
    }

    @Test("FAILED after the debit: the money came back, so refunded in full with the merchant's and tenant's usage given back")
    func failsAfterDebit() async throws {
        try await GatewayHarness.with("tr-failed", dailyBudgetFen: 100_000) { gw in
            try await gw.sim.freezeClock()
            let id = try gw.payoutID(try await gw.submit(Self.order(amountFen: 2000)))
            let sent = try await gw.payout(id)
            #expect(sent.status == .sent)
            let usage = try await gw.pool.query("SELECT mch_id, amount_fen FROM merchant_usage").rows.map { try $0.decode((String, Int64).self) }
            #expect(usage.map(\.0) == [sent.mchID + ":transfer"] && usage.map(\.1) == [2000], "counted apart from red packets")
            try await gw.sim.settleTransfer(mchId: sent.mchID, tradeNo: sent.billno, failReason: "账户异常")

            let pass = try await gw.reconciler(offset: 2 * 60).pass()
            #expect(pass.outcomes[.settled] == 1)
            let done = try await gw.payout(id)
            #expect(done.status == .refunded && done.refundAmountFen == 2000)
            let merchant = try await gw.pool.query("SELECT amount_fen FROM merchant_usage").first!.decode(column: 0, as: Int64.self)
            let tenant = try await gw.pool.query("SELECT sum(amount_fen)::int8 FROM tenant_usage").first!.decode(column: 0, as: Int64.self)
            #expect(merchant == 0 && tenant == 0)
            #expect(try await gw.events(id) == ["transfer.processing", "transfer.failed"])
            let summary = try await gw.sim.summary().accounts.first
            #expect(summary?.transferredFen == 2000 && summary?.transferRefundedFen == 2000, "the gateway's ledger is the simulator's")
        }
    }

    @Test("a transfer whose answer was lost is found by gettransferinfo; a lost one never kept is resent with the same number")
    func unknownTransfers() async throws {
        try await GatewayHarness.with("tr-unknown") { gw in
            try await gw.sim.freezeClock()
            try await gw.sim.setFaults(FaultPlan(dropAfterCommit: true, rate: 1))
            let kept = try gw.payoutID(try await gw.submit(Self.order(openID: "oKept")))
            try await gw.sim.setFaults(FaultPlan(dropBeforeCommit: true, rate: 1))
            let lost = try gw.payoutID(try await gw.submit(Self.order(openID: "oLost")))
            try await gw.sim.setFaults(nil)
            #expect(try await gw.payout(kept).status == .unknown)
            #expect(try await gw.payout(lost).status == .unknown)

            let pass = try await gw.reconciler(offset: 10 * 60).pass()
            #expect(pass.outcomes[.settled] == 1 && pass.outcomes[.resent] == 1)
            let keptPayout = try await gw.payout(kept), lostPayout = try await gw.payout(lost)
            #expect(keptPayout.status == .sent && lostPayout.status == .sent)
            let ledger = try await gw.sim.ledger()
            #expect(Set(ledger.transfers.map(\.partnerTradeNo)) == [keptPayout.billno, lostPayout.billno] && ledger.transfers.count == 2)
        }
    }

    @Test("transfers route only to entities with the product on; the fields are checked before anything is reserved")
    func routingAndValidation() async throws {
        try await GatewayHarness.with("tr-route", entities: [.init("redpacks-only", mchId: "1900000401", transfers: false)]) { gw in
            guard case .refused(let refusal) = try await gw.submit(Self.order()) else { throw TestSetupError("expected a refusal") }
            #expect(refusal.exclusions.map(\.merchant) == ["redpacks-only"])
            #expect(refusal.exclusions.first?.exclusion.code == "not_qualified")

            guard case .invalid(let problems) = try await gw.submit(Self.order(checkName: "FORCE_CHECK")) else { throw TestSetupError("expected invalid") }
            #expect(problems.map(\.field) == ["re_user_name"])
            guard case .invalid(let amount) = try await gw.submit(Self.order(amountFen: 99)) else { throw TestSetupError("expected invalid") }
            #expect(amount.map(\.field) == ["amount_fen"])
            let count = try await gw.pool.query("SELECT count(*) FROM payouts").first!.decode(column: 0, as: Int64.self)
            #expect(count == 0)
        }
    }
}
