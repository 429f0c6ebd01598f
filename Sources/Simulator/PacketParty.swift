/// Whom a red packet is sent for and which balance pays it, after WeChat's service-provider
/// checks (reference §3.1, §4.6, §5.1). A request without `sub_mch_id` is direct: the merchant
/// itself, paid from its own balance, exactly as before service providers existed
/// (`msgappid` and `consume_mch_id` are then ignored, as §4.6 says of the latter).
///
/// Safe readings where the reference is silent:
/// - SP mode is for sendredpack and sendgroupredpack (§3.1, §3.3); §3.4 lists no SP fields,
///   so a sendminiprogramhb carrying `sub_mch_id` is PARAM_ERROR rather than silently direct.
/// - `consume_mch_id` (§4.6 "merchant to debit … default = sub-merchant") may name the
///   provider itself or one of its sub-merchants; any other merchant is PARAM_ERROR — the
///   simulator knows of no authorisation letting a provider spend a stranger's money.
/// - Which appid an openid belongs to is not modelled (the simulator accepts any openid, as
///   it does for direct packets), so "re_openid under wxappid, or under msgappid" is not checked.
struct PacketParty: Sendable, Equatable {
    enum Fund: Sendable, Equatable {
        /// The merchant of `mch_id`: the provider's own balance, or a direct merchant's.
        case merchant
        case subMerchant(String)
    }

    /// The sub-merchant in SP mode; nil for a direct packet.
    let subMchId: String?
    let fund: Fund

    static let direct = PacketParty(subMchId: nil, fund: .merchant)

    enum Resolution {
        /// The party and the limits its amount is checked against (the sub-merchant's in SP mode).
        case party(PacketParty, SimAccountSpec.Limits)
        case refused([String: String])
    }

    /// In SP mode: the sub-merchant must be this provider's (ACCEPTMODE_ERROR), `msgappid` is
    /// required and bound to the provider or that sub-merchant (MSGAPPID_ERROR), and the fund
    /// source must be the provider or one of its sub-merchants (PARAM_ERROR).
    static func resolve(_ api: SimAPI, _ f: [String: String], _ account: SimAccount) -> Resolution {
        guard let subMchId = f["sub_mch_id"], !subMchId.isEmpty else { return .party(.direct, account.limits) }
        guard api != .sendMiniProgramRedPack else {
            return .refused(SimRules.paramError("sub_mch_id", "小程序红包不支持服务商模式 (sendminiprogramhb has no service-provider mode)"))
        }
        guard let sub = account.subMerchant(subMchId) else { return .refused(acceptModeError(subMchId, account.spec.mchId)) }
        guard let msgappid = f["msgappid"], !msgappid.isEmpty else {
            return .refused(SimAnswer.error("MSGAPPID_ERROR", "msgappid不能为空 (msgappid is required in service-provider mode)"))
        }
        guard account.appType(msgappid) != nil || sub.appids.contains(where: { $0.id == msgappid }) else {
            return .refused(SimAnswer.error("MSGAPPID_ERROR", "msgappid与商户号不匹配 (\(msgappid) is bound neither to \(account.spec.mchId) nor to \(subMchId))"))
        }
        let fund: Fund
        switch f["consume_mch_id"] {
        case nil, ""?: fund = .subMerchant(subMchId)
        case account.spec.mchId?: fund = .merchant
        case let other? where account.subMerchant(other) != nil: fund = .subMerchant(other)
        case let other?:
            return .refused(SimRules.paramError("consume_mch_id", "不是服务商或其子商户 (\(other) is neither \(account.spec.mchId) nor one of its sub-merchants)"))
        }
        return .party(PacketParty(subMchId: subMchId, fund: fund), sub.resolvedLimits)
    }

    static func acceptModeError(_ subMchId: String, _ mchId: String) -> [String: String] {
        SimAnswer.error("ACCEPTMODE_ERROR", "受理关系不存在 (\(subMchId) is not a sub-merchant of \(mchId))")
    }
}
