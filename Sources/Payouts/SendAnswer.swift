/// What a provider answered to a send, in the payout's terms whatever the merchant kind
/// and the payout's kind (with `StatusAnswer` for queries), so the engine, the reconciler
/// and the refresh are one state machine over red packets and transfers. Each kind's
/// connector reads its wire answers into these (`WeChatPayV2Answers` for wechatpay.v2).
/// A send accepted: its order id (send_listid, or a transfer's payment_no).
struct SendAnswer: Sendable {
    let orderID: String?
}
