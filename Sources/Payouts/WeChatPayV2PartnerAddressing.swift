import Merchants
import WeChatPay

/// A service provider's sub-merchant (`wechatpay.v2.partner`, reference §3.1, §4.6): the
/// request is the provider's — its mch_id and its wxappid — and names the sub-merchant
/// (`sub_mch_id`, the payout's recorded merchant number), the appid that reaches the user
/// (`msgappid`, the appid the tenant's openid belongs to) and the fund source when the
/// file gives one (`consume_mch_id`). The billno stays the one recorded (it starts with
/// the sub-merchant's number, unique under the provider's).
///
/// gethbinfo (reference §3.5) has no service-provider fields: it asks with the provider's
/// mch_id and wxappid about the billno, which is unique under the provider's mch_id. The
/// safe reading of that silence: send only the fields the reference lists.
struct WeChatPayV2PartnerAddressing: WeChatPayV2Addressing {
    func packet(_ packet: RedPacketFields, as merchant: any MerchantConfig) throws(RequestInvalid) -> RedPacketFields {
        let sub = try Self.subMerchant(merchant)
        var wire = packet
        wire.merchantID = sub.providerID
        wire.appID = sub.providerAppID
        wire.subMerchantID = packet.merchantID
        // The payout's recorded appid, which routing matched to the msgappid: a resend
        // names the same one whatever the file says now.
        wire.messageAppID = packet.appID
        wire.consumeMerchantID = sub.consumeMerchantID
        return wire
    }

    func queryAddress(_ send: SendRef, appID: String, as merchant: any MerchantConfig) throws(RequestInvalid) -> (merchantID: String, appID: String) {
        try Self.subMerchant(merchant).providerAddress
    }

    /// Enterprise payment has no provider mode in the reference (§3.6): never sent.
    func checkTransfers(as merchant: any MerchantConfig) throws(RequestInvalid) {
        throw RequestInvalid(errors: [FieldError("sub_mch_id", "enterprise payment is not available to a service provider's sub-merchant")])
    }

    static func subMerchant(_ merchant: any MerchantConfig) throws(RequestInvalid) -> WeChatPayV2PartnerMerchant {
        guard let sub = merchant as? WeChatPayV2PartnerMerchant else {
            throw RequestInvalid(errors: [FieldError("sub_mch_id", "entity \(merchant.name) is not a service provider's sub-merchant")])
        }
        return sub
    }
}
