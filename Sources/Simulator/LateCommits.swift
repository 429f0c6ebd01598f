import Synchronization
import WeChatPay

/// Orders WeChat has taken but commits late (fault `commit_late_seconds`): the request is
/// kept and its connection dropped without an answer, as when WeChat is slow and the
/// caller times out. Until its commit time on the sim clock the order does not exist for
/// queries (NOT_FOUND, reference §3.5: "may mean still processing"), and a resend of the
/// same number is refused with `late_resend_code` (FREQ_LIMIT unless the plan says
/// otherwise) — an answer about that attempt that says nothing about the first one. At
/// its commit time the kept request is processed as if it had just arrived: money moves
/// then. Held in memory only: a simulator restart forgets orders not yet committed.
final class LateCommits: Sendable {
    struct Pending: Sendable {
        let api: SimAPI
        let document: WeChatXML.Document
        let certificate: [UInt8]?
        let callerIP: String
        let commitAt: Double
        let resendCode: String
    }

    private let pending = Mutex<[String: Pending]>([:])

    static func key(mchId: String, number: String) -> String { mchId + "/" + number }

    func keep(_ key: String, _ order: Pending) { pending.withLock { $0[key] = order } }

    /// The order kept under `key` and not yet committed at `now`.
    func waiting(_ key: String, now: Double) -> Pending? {
        pending.withLock { $0[key].flatMap { $0.commitAt > now ? $0 : nil } }
    }

    /// Removes and returns every order whose commit time has come, oldest first.
    func due(now: Double) -> [Pending] {
        pending.withLock { orders in
            let ready = orders.filter { $0.value.commitAt <= now }
            for key in ready.keys { orders.removeValue(forKey: key) }
            return ready.values.sorted { $0.commitAt < $1.commitAt }
        }
    }

    var count: Int { pending.withLock { $0.count } }
}

extension SimAPI {
    /// The APIs that move money (a late commit applies to these only).
    var sends: Bool { self != .queryRedPack && self != .queryTransfer }

    /// The element holding the order number.
    var numberField: String { self == .transfer || self == .queryTransfer ? "partner_trade_no" : "mch_billno" }
}

extension SimLedger {
    /// Keeps a send to commit `seconds` later on the sim clock (its answer is never sent).
    func commitLate(_ api: SimAPI, _ document: WeChatXML.Document, certificate: [UInt8]?, callerIP: String, seconds: Int, resendCode: String) {
        let key = LateCommits.key(mchId: document[api.merchantField] ?? "", number: document[api.numberField] ?? "")
        lateCommits.keep(key, .init(api: api, document: document, certificate: certificate, callerIP: callerIP,
                                    commitAt: now + Double(seconds), resendCode: resendCode))
    }

    /// Commits every kept order whose time has come (before any request or ledger read).
    func commitDueOrders() {
        for order in lateCommits.due(now: now) {
            _ = handle(order.api, order.document, certificate: order.certificate, callerIP: order.callerIP)
        }
    }

    /// What a request about an order still waiting for its commit gets, if it is one.
    func lateAnswer(_ api: SimAPI, _ fields: [String: String], mchId: String) -> SimReply? {
        guard let number = fields[api.numberField],
              let order = lateCommits.waiting(LateCommits.key(mchId: mchId, number: number), now: now) else { return nil }
        if api.sends { return SimReply(SimAnswer.error(order.resendCode, "超过频率限制,请稍后再试 (the first request for this number is still being processed)")) }
        return SimReply(SimAnswer.error("NOT_FOUND", "指定单号数据不存在"))
    }
}
