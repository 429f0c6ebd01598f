import Foundation
import Simulator
import Testing
import TestSupport
import Transport
import WeChatPay

/// 企业付款到零钱: accepted and debited, PROCESSING, then SUCCESS — or FAILED with the money
/// back — and every refusal of reference §4.4/§5.3.
@Suite("Simulator transfers have a lifecycle")
struct TransferLifecycleTests {
    static func spec(balanceFen: Int64 = 1_000_000, settle: Double? = nil, limits: SimAccountSpec.Limits? = nil) -> SimAccountSpec {
        var spec = SimulatorHarness.qualifiedSpec(balanceFen: balanceFen, limits: limits)
        spec.transferSettleSeconds = settle
        return spec
    }

    static func limits(maxFen: Int64? = nil, perUser: Int? = nil, userDaily: Int64? = nil, daily: Int64? = nil) -> SimAccountSpec.Limits {
        .init(perMinute: 1800, perUserPerDay: 10, minFen: 100, maxFen: 20_000, dailyFen: 5_000_000,
              transferMaxFen: maxFen, transferPerUserPerDay: perUser, transferUserDailyFen: userDaily, transferDailyFen: daily)
    }

    @Test("accepted transfers are PROCESSING until transfer_settle_seconds pass on the sim clock, then SUCCESS")
    func settlesOnTheClock() async throws {
        try await SimulatorHarness.with { sim in
            // A day to settle, so the real seconds a busy machine adds cannot settle it early.
            let m = try await sim.createMerchant(Self.spec(settle: 86_400))
            guard case .success(let accepted) = try await sim.transfer(m, "T1") else { Issue.record("transfer refused"); return }
            #expect(accepted.paymentNumber?.count == 28)
            guard case .success(let processing) = try await sim.queryTransfer(m, "T1") else { Issue.record("query failed"); return }
            #expect(processing.status == .processing && processing.paymentTime == nil)
            try await sim.advanceClock(seconds: 86_000)
            guard case .success(let still) = try await sim.queryTransfer(m, "T1") else { Issue.record("query failed"); return }
            #expect(still.status == .processing)
            try await sim.advanceClock(seconds: 400)
            guard case .success(let paid) = try await sim.queryTransfer(m, "T1") else { Issue.record("query failed"); return }
            #expect(paid.status == .success && paid.paymentTime != nil && paid.amountFen == 1500 && paid.detailID == accepted.paymentNumber)
            let account = try #require(try await sim.summary().accounts.first)
            #expect(account.balanceFen == 998_500 && account.transferredFen == 1500 && account.transferRefundedFen == 0)
        }
    }

    @Test("the default settle time is a few seconds")
    func defaultSettle() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec())
            #expect(code(try await sim.transfer(m, "T1")) == "SUCCESS")
            try await sim.advanceClock(seconds: 5)
            guard case .success(let paid) = try await sim.queryTransfer(m, "T1") else { Issue.record("query failed"); return }
            #expect(paid.status == .success)
        }
    }

    @Test("control fail: FAILED with the reason, the money back on the balance; a settled transfer cannot be settled again")
    func failByControl() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec(balanceFen: 10_000, settle: 60))
            #expect(code(try await sim.transfer(m, "T1", amountFen: 2000)) == "SUCCESS")
            #expect(try await sim.summary().accounts.first?.balanceFen == 8000)
            let failed = try await sim.settleTransfer(mchId: m.merchantID, tradeNo: "T1", failReason: "收款账户异常")
            #expect(failed.status == "FAILED" && failed.reason == "收款账户异常")
            guard case .success(let info) = try await sim.queryTransfer(m, "T1") else { Issue.record("query failed"); return }
            #expect(info.status == .failed && info.reason == "收款账户异常" && info.paymentTime == nil)
            let account = try #require(try await sim.summary().accounts.first)
            #expect(account.balanceFen == 10_000 && account.transferredFen == 2000 && account.transferRefundedFen == 2000)
            #expect(account.fundedFen == account.balanceFen + account.sentFen - account.refundedFen + account.transferredFen - account.transferRefundedFen)
            #expect(try await sim.controlStatus("POST", "/_sim/transfers/\(m.merchantID)/T1/fail", body: ["reason": "again"]) == 409)
            #expect(try await sim.controlStatus("POST", "/_sim/transfers/\(m.merchantID)/T1/succeed", body: [String: String]()) == 409)
            #expect(try await sim.controlStatus("POST", "/_sim/transfers/\(m.merchantID)/T404/fail", body: ["reason": "x"]) == 404)
        }
    }

    @Test("control succeed: SUCCESS at once; after the settle time a transfer can no longer fail")
    func succeedByControl() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec(settle: 60))
            #expect(code(try await sim.transfer(m, "T1")) == "SUCCESS")
            #expect(try await sim.settleTransfer(mchId: m.merchantID, tradeNo: "T1").status == "SUCCESS")
            guard case .success(let info) = try await sim.queryTransfer(m, "T1") else { Issue.record("query failed"); return }
            #expect(info.status == .success && info.paymentTime != nil)
            #expect(code(try await sim.transfer(m, "T2")) == "SUCCESS")
            try await sim.advanceClock(seconds: 60)
            #expect(try await sim.controlStatus("POST", "/_sim/transfers/\(m.merchantID)/T2/fail", body: ["reason": "late"]) == 409)
        }
    }

    @Test("AMOUNT_LIMIT below 1 yuan and above the account's per-payment maximum (500 yuan by default)")
    func amountLimit() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec())
            #expect(code(try await sim.transfer(m, "T1", amountFen: 99)) == "AMOUNT_LIMIT")
            #expect(code(try await sim.transfer(m, "T2", amountFen: 100)) == "SUCCESS")
            #expect(code(try await sim.transfer(m, "T3", openID: "oB", amountFen: 50_001)) == "AMOUNT_LIMIT")
            #expect(code(try await sim.transfer(m, "T4", openID: "oB", amountFen: 50_000)) == "SUCCESS")
            let narrow = try await sim.createMerchant(Self.spec(limits: Self.limits(maxFen: 1000)).with(mchId: "1900000110"))
            #expect(code(try await sim.transfer(narrow, "T5", amountFen: 1001)) == "AMOUNT_LIMIT")
        }
    }

    @Test("per user and day: SENDNUM_LIMIT on the count, RECEIVED_MONEY_LIMIT on the amount; SEND_MONEY_LIMIT on the merchant's day")
    func dailyLimits() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec(limits: Self.limits(perUser: 2, userDaily: 5000, daily: 9000)))
            #expect(code(try await sim.transfer(m, "T1", openID: "oA", amountFen: 1000)) == "SUCCESS")
            #expect(code(try await sim.transfer(m, "T2", openID: "oA", amountFen: 1000)) == "SUCCESS")
            #expect(code(try await sim.transfer(m, "T3", openID: "oA", amountFen: 1000)) == "SENDNUM_LIMIT")
            #expect(code(try await sim.transfer(m, "T4", openID: "oB", amountFen: 5001)) == "RECEIVED_MONEY_LIMIT")
            #expect(code(try await sim.transfer(m, "T5", openID: "oB", amountFen: 5000)) == "SUCCESS")
            #expect(code(try await sim.transfer(m, "T6", openID: "oC", amountFen: 2001)) == "SEND_MONEY_LIMIT")
            #expect(code(try await sim.transfer(m, "T7", openID: "oC", amountFen: 2000)) == "SUCCESS", "exactly the merchant's cap")
            try await sim.advanceClock(seconds: 86_400)
            #expect(code(try await sim.transfer(m, "T8", openID: "oA", amountFen: 1000)) == "SUCCESS", "a new Shanghai day")
        }
    }

    @Test("NOTENOUGH debits nothing; the same number goes through after a top-up")
    func notEnough() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec(balanceFen: 1000))
            #expect(code(try await sim.transfer(m, "T1", amountFen: 1500)) == "NOTENOUGH")
            #expect(try await sim.summary().accounts.first?.balanceFen == 1000)
            try await sim.createMerchant(Self.spec(balanceFen: 5000)) // top-up: re-register with a new balance
            #expect(code(try await sim.transfer(m, "T1", amountFen: 1500)) == "SUCCESS")
            #expect(try await sim.summary().accounts.first?.balanceFen == 3500)
        }
    }

    @Test("FORCE_CHECK: NAME_MISMATCH against the registered real name; the right name, or none registered, passes")
    func nameCheck() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec())
            try await sim.setUser("oNamed", realName: "王小王")
            #expect(code(try await sim.transfer(m, "T1", openID: "oNamed", check: .force, name: "王大王")) == "NAME_MISMATCH")
            #expect(code(try await sim.transfer(m, "T2", openID: "oNamed", check: .force, name: "王小王")) == "SUCCESS")
            #expect(code(try await sim.transfer(m, "T3", openID: "oNamed", check: .none)) == "SUCCESS", "NO_CHECK does not compare")
            #expect(code(try await sim.transfer(m, "T4", openID: "oUnknown", check: .force, name: "anyone")) == "SUCCESS")
        }
    }

    @Test("an openid marked not real-name verified is V2_ACCOUNT_SIMPLE_BAN")
    func simpleBan() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec())
            try await sim.setUser("oAnon", verified: false)
            #expect(code(try await sim.transfer(m, "T1", openID: "oAnon")) == "V2_ACCOUNT_SIMPLE_BAN")
            try await sim.setUser("oAnon", verified: true)
            #expect(code(try await sim.transfer(m, "T1", openID: "oAnon")) == "SUCCESS")
        }
    }

    @Test("re-entrant: the same number and fields is the same answer and one debit; other fields are FATAL_ERROR")
    func reentrancy() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec(balanceFen: 10_000))
            guard case .success(let first) = try await sim.transfer(m, "T1") else { Issue.record("transfer refused"); return }
            guard case .success(let again) = try await sim.transfer(m, "T1") else { Issue.record("resend refused"); return }
            #expect(first.paymentNumber == again.paymentNumber && first.paymentTime == again.paymentTime)
            #expect(code(try await sim.transfer(m, "T1", amountFen: 1600)) == "FATAL_ERROR")
            #expect(code(try await sim.transfer(m, "T1", openID: "oOther")) == "FATAL_ERROR")
            #expect(try await sim.summary().accounts.first?.balanceFen == 8500)
        }
    }

    @Test("gettransferinfo: NOT_FOUND for an unknown number and once 30 days have passed")
    func notFound() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec())
            #expect(code(try await sim.queryTransfer(m, "T404")) == "NOT_FOUND")
            #expect(code(try await sim.transfer(m, "T1")) == "SUCCESS")
            try await sim.advanceClock(seconds: 29 * 86_400)
            #expect(code(try await sim.queryTransfer(m, "T1")) == "SUCCESS")
            try await sim.advanceClock(seconds: 86_400)
            #expect(code(try await sim.queryTransfer(m, "T1")) == "NOT_FOUND")
            let account = try #require(try await sim.summary().accounts.first)
            #expect(account.transferredFen == 1500 && account.transferCount == 1 && account.storedTransfers == 0, "the money still counts")
        }
    }

    @Test("faults hit transfers as they hit red packets: committed first, then dropped or answered SYSTEMERROR/500/garbage; the resend pays once")
    func faults() async throws {
        try await SimulatorHarness.with { sim in
            let m = try await sim.createMerchant(Self.spec(balanceFen: 100_000))
            try await sim.setFaults(FaultPlan(dropAfterCommit: true, rate: 1))
            guard case .failure(let dropped) = try await sim.transfer(m, "T1") else { Issue.record("expected an unknown outcome"); return }
            #expect(dropped.outcomeUnknown)
            #expect(try await sim.ledger().transfers.map(\.partnerTradeNo) == ["T1"], "the drop came after the commit")
            try await sim.setFaults(FaultPlan(dropBeforeCommit: true, rate: 1))
            guard case .failure(let before) = try await sim.transfer(m, "T2") else { Issue.record("expected an unknown outcome"); return }
            #expect(before.outcomeUnknown)
            #expect(try await sim.ledger().transfers.count == 1, "nothing happened before the commit")
            for (n, (plan, expected)) in [(FaultPlan(systemerror: true, rate: 1), "SYSTEMERROR"), (FaultPlan(http500: true, rate: 1), ErrorCatalog.Synthetic.httpStatus),
                                          (FaultPlan(garbage: true, rate: 1), ErrorCatalog.Synthetic.unparsable)].enumerated() {
                try await sim.setFaults(plan)
                guard case .failure(let failure) = try await sim.transfer(m, "T\(3 + n)") else { Issue.record("expected \(expected)"); continue }
                #expect(failure.code == expected && failure.outcomeUnknown)
            }
            try await sim.setFaults(nil)
            var numbers: Set<String> = []
            for n in 1...5 {
                guard case .success(let paid) = try await sim.transfer(m, "T\(n)") else { Issue.record("resend T\(n) refused"); continue }
                numbers.insert(try #require(paid.paymentNumber))
            }
            #expect(numbers.count == 5)
            let ledger = try await sim.ledger()
            #expect(ledger.transfers.count == 5 && ledger.accounts.first?.balanceFen == 100_000 - 5 * 1500, "every number paid exactly once")
        }
    }
}

extension SimAccountSpec {
    func with(mchId: String) -> SimAccountSpec {
        var copy = self
        copy.mchId = mchId
        return copy
    }
}
