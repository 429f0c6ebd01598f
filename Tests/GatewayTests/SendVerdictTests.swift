import Foundation
@testable import Payouts
import Testing
import WeChatPay

/// The outcome table, row by row: what an answer to one attempt may conclude about its
/// billno, given whether an earlier request for that billno may have reached WeChat.
@Suite("Send verdicts: a verdict about one attempt is not a verdict about another")
struct SendVerdictTests {
    static let failure = Payout.Failure(code: "X", message: "m", retryClass: "C")

    static func refused(_ code: String, _ family: ErrorCatalog.Family = .redPacket) -> SendVerdict.Answer {
        let rule = ErrorCatalog.rule(for: code, family: family)
        return .refused(Payout.Failure(code: code, message: "m", retryClass: rule.retryClass.rawValue), rule)
    }

    /// What the verdict leaves to do, as one word a test can compare.
    static func word(_ verdict: SendVerdict) -> String {
        switch verdict {
        case .paid: "paid"
        case .open: "open"
        case .nothingPaid(_, .anotherEntityElseFail): "move-else-fail"
        case .nothingPaid(_, .anotherEntityElseKeepOpen): "move-else-open"
        case .nothingPaid(_, .fail): "fail"
        }
    }

    static func decide(_ answer: SendVerdict.Answer, _ history: BillnoHistory, _ kind: Payout.Kind = .normal) -> String {
        word(SendVerdict.decide(answer, history: history, kind: kind))
    }

    @Test("once a billno may have been sent, no refusal of a resend closes it: FREQ_LIMIT, NOTENOUGH, NO_AUTH, a caller error, not sent, cancelled")
    func refusalOfAResendKeepsTheBillnoOpen() {
        for code in ["FREQ_LIMIT", "NOTENOUGH", "NO_AUTH", "SENDNUM_LIMIT", "PARAM_ERROR", "CA_ERROR"] {
            #expect(Self.decide(Self.refused(code), .mayHaveBeenSent) == "open", "\(code)")
            #expect(Self.decide(Self.refused(code, .transfer), .mayHaveBeenSent, .transfer) == "open", "transfer \(code)")
        }
        #expect(Self.decide(.notSent(Self.failure, stopping: false), .mayHaveBeenSent) == "open")
        #expect(Self.decide(.notSent(Self.failure, stopping: true), .mayHaveBeenSent) == "open")
    }

    @Test("a fresh billno's refusal is WeChat's word about it: another entity after C/R, a failure after P")
    func freshRefusal() {
        #expect(Self.decide(Self.refused("NOTENOUGH"), .fresh) == "move-else-fail")
        #expect(Self.decide(Self.refused("SENDNUM_LIMIT"), .fresh) == "move-else-fail")
        #expect(Self.decide(Self.refused("PARAM_ERROR"), .fresh) == "fail")
        #expect(Self.decide(Self.refused("OPENID_ERROR"), .fresh) == "fail")
    }

    @Test("a transfer never moves to a new number on a refusal (reference §5.3): it fails under its one number")
    func transferRefusal() {
        for code in ["NOTENOUGH", "FREQ_LIMIT", "MONEY_LIMIT", "SENDNUM_LIMIT", "SIGN_ERROR", "CA_ERROR", "NAME_MISMATCH", "V2_ACCOUNT_SIMPLE_BAN"] {
            #expect(Self.decide(Self.refused(code, .transfer), .fresh, .transfer) == "fail", "\(code)")
        }
        #expect(Self.decide(.notSent(Self.failure, stopping: false), .fresh, .transfer) == "open", "not even when nothing was sent")
    }

    @Test("only gethbinfo's FAILED makes an F answer definite; then another entity may take it, for a transfer too")
    func failedNumber() {
        for history in [BillnoHistory.fresh, .mayHaveBeenSent] {
            #expect(Self.decide(.failedNumber(Self.failure, confirmed: true), history) == "move-else-fail")
            #expect(Self.decide(.failedNumber(Self.failure, confirmed: true), history, .transfer) == "move-else-fail")
            #expect(Self.decide(.failedNumber(Self.failure, confirmed: false), history) == "open")
        }
    }

    @Test("unknown stays open and paid is paid, whatever the history")
    func unknownAndPaid() {
        for history in [BillnoHistory.fresh, .mayHaveBeenSent] {
            #expect(Self.decide(.unknown(Self.failure), history) == "open")
            #expect(Self.decide(.paid(sendListID: "1"), history) == "paid")
        }
    }

    @Test("not sent on a fresh billno: another entity, and when none can take it the billno stays open (never failed for it); shutting down: open at once")
    func notSentFresh() {
        #expect(Self.decide(.notSent(Self.failure, stopping: false), .fresh) == "move-else-open")
        #expect(Self.decide(.notSent(Self.failure, stopping: true), .fresh) == "open")
    }

    @Test("cool-downs: entity and signer codes for every instance, user-or-entity codes only after several users, a local failure here only")
    func coolDownScopes() {
        #expect(Self.refused("NOTENOUGH").coolDown?.scope == .entity)
        #expect(Self.refused("CA_ERROR").coolDown?.scope == .signer)
        #expect(Self.refused("SIGN_ERROR").coolDown?.scope == .signer && Self.refused("FREQ_LIMIT").coolDown?.scope == .signer)
        #expect(Self.refused("NO_AUTH").coolDown?.scope == .ifSeveralUsers)
        #expect(Self.refused("MONEY_LIMIT", .transfer).coolDown?.scope == .ifSeveralUsers)
        #expect(Self.refused("SENDNUM_LIMIT").coolDown == nil)
        #expect(SendVerdict.Answer.notSent(Self.failure, stopping: false).coolDown?.scope == .thisInstance)
        #expect(SendVerdict.Answer.notSent(Self.failure, stopping: true).coolDown == nil)
    }
}
