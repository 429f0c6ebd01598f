import Foundation
import Postgres

/// A paid answer about a billno the payout had closed as failed: the clearest sign of a
/// double payment (or of a payment the tenant was told failed). It arrives from a send
/// whose billno was closed meanwhile, a refresh or a reconciler look that raced a move to
/// a new billno, or the one more query of a closed billno (`ClosedBillnoRecheck`). It is
/// kept, never dropped: the billno is marked `late_paid`, the usage it was released from is
/// counted again (WeChat counted it), and the payout goes to `needs_attention` with the
/// reason — both billnos and amounts — an audit record and a `…needs_attention` event.
/// `hongbao status`, `/admin` and `/metrics` count such payouts; a person settles them with
/// WeChat and the user. Nothing resends a payout in this state.
public enum DoublePayment {
    public static let code = "PAID_ON_MORE_THAN_ONE_BILLNO"

    /// In the caller's transaction, with `payout` locked as it stands. Returns the payout as
    /// it now is; a billno already recorded as late-paid changes nothing more. While the
    /// payout's own billno is still open it is kept being queried (never resent), so what
    /// WeChat makes of it is on record too (`QueryApplication.watchPaidTwice`).
    static func record(_ c: PostgresConnection, _ payout: Payout, late send: SendRef, wechatStatus: String,
                       writer: QueryApplication.Writer, schedule: ReconcileSchedule) throws -> Payout {
        let marked = try c.query("""
            UPDATE payout_sends SET state = 'late_paid', recheck_at = NULL WHERE mch_id = $1 AND billno = $2 AND state = 'failed' RETURNING 1
            """, [send.mchID, send.billno])
        guard marked.affectedRows == 1 else { return payout }
        try c.run(Reservations.countAgain(payout, mchID: send.mchID))
        let current = try c.query("SELECT state FROM payout_sends WHERE mch_id = $1 AND billno = $2", [payout.mchID, payout.billno])
            .first?.decode(column: 0, as: String.self)
        let failure = Payout.Failure(code: code, message: message(payout, late: send, wechatStatus: wechatStatus), retryClass: "U")
        let nextLook = current == "open" ? schedule.next(.unknown, checks: 0, sentAt: nil, now: writer.now) : nil
        return try writer.write(payout, .init(status: .needsAttention, failure: .some(failure), nextCheckAt: .some(nextLook)),
                                action: "payout.needs_attention", wechat: wechatStatus,
                                extra: ["reason": "paid_on_more_than_one_billno", "late_mch_id": send.mchID, "late_billno": send.billno])
    }

    /// Payouts in needs_attention for this reason (the whole cluster's): `/metrics`.
    public static func count(_ pool: PostgresPool) async throws -> Int64 {
        try await pool.query("SELECT count(*) FROM payouts WHERE status = 'needs_attention' AND error_code = $1", [code]).first!
            .decode(column: 0, as: Int64.self)
    }

    /// Both billnos with their amounts, and where each stands.
    static func message(_ payout: Payout, late send: SendRef, wechatStatus: String) -> String {
        "paid on more than one billno: \(send.billno) (mch_id \(send.mchID), \(payout.amountFen) fen) was closed as failed but WeChat says "
            + "\(wechatStatus); the payout's billno \(payout.billno) (mch_id \(payout.mchID), \(payout.amountFen) fen) is \(payout.status.rawValue)"
    }
}
