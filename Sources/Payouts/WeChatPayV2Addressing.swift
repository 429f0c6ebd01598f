import Merchants
import WeChatPay

/// How a wechatpay.v2 kind's requests name the merchant: the one thing its two kinds do
/// differently. Everything else — which API for which payout kind, signing, reading the
/// answers — is `WeChatPayV2Connector`'s, shared.
protocol WeChatPayV2Addressing: Sendable {
    /// The packet's fields as the wire wants them for `merchant` (`packet` is built from the
    /// recorded payout, so a resend is identical).
    func packet(_ packet: RedPacketFields, as merchant: any MerchantConfig) throws(RequestInvalid) -> RedPacketFields
    /// The merchant number and appid gethbinfo asks with, about `send`.
    func queryAddress(_ send: SendRef, appID: String, as merchant: any MerchantConfig) throws(RequestInvalid) -> (merchantID: String, appID: String)
    /// Refuses enterprise payment where the kind has none.
    func checkTransfers(as merchant: any MerchantConfig) throws(RequestInvalid)
}

/// A direct merchant (`wechatpay.v2`): its own mch_id and the payout's appid, as recorded.
struct WeChatPayV2DirectAddressing: WeChatPayV2Addressing {
    func packet(_ packet: RedPacketFields, as merchant: any MerchantConfig) throws(RequestInvalid) -> RedPacketFields { packet }

    func queryAddress(_ send: SendRef, appID: String, as merchant: any MerchantConfig) throws(RequestInvalid) -> (merchantID: String, appID: String) {
        (send.mchID, appID)
    }

    func checkTransfers(as merchant: any MerchantConfig) throws(RequestInvalid) {}
}
