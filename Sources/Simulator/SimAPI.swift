import Crypto
import WeChatPay

/// The WeChat Pay endpoints the simulator answers.
enum SimAPI: String, CaseIterable, Sendable {
    case sendRedPack = "/mmpaymkttransfers/sendredpack"
    case sendGroupRedPack = "/mmpaymkttransfers/sendgroupredpack"
    case sendMiniProgramRedPack = "/mmpaymkttransfers/sendminiprogramhb"
    case queryRedPack = "/mmpaymkttransfers/gethbinfo"
    case transfer = "/mmpaymkttransfers/promotion/transfers"
    case queryTransfer = "/mmpaymkttransfers/gettransferinfo"

    /// The element naming the merchant (transfers spell it `mchid`).
    var merchantField: String { self == .transfer ? "mchid" : "mch_id" }
}

extension SimLedger {
    /// One API call, checked in WeChat's order: certificate ↔ mch_id, signature, calling IP,
    /// fields, appid — all without any lock — then, under the merchant's own lock,
    /// re-entrancy, qualification, limits, balance and the commit.
    func handle(_ api: SimAPI, _ document: WeChatXML.Document, certificate: [UInt8]?, callerIP: String) -> SimReply {
        let fields = document.fields
        let mchId = fields[api.merchantField] ?? ""
        guard let certificate, let book = book(forCertificate: certificate), book.mchId == mchId else {
            return SimReply(SimAnswer.refusal("CA_ERROR", "证书错误：请求的商户号与证书不符 (certificate does not belong to mch_id \(mchId))"))
        }
        let account = book.account
        guard fields["sign"] != nil, Signer.verify(fields, key: account.apiKey) else {
            return SimReply(SimAnswer.refusal("SIGN_ERROR", "签名错误"))
        }
        if !account.spec.ipWhitelist.isEmpty, !account.spec.ipWhitelist.contains(callerIP) {
            return SimReply(SimAnswer.error("NO_AUTH", "此IP地址不允许调用接口，如有需要请登录微信支付商户平台更改配置 (\(callerIP))"))
        }
        if let refusal = SimRules.fieldRefusal(fields, SimRules.table(for: api)) { return SimReply(refusal) }
        if let late = lateAnswer(api, fields, mchId: mchId) { return late }
        switch api {
        case .sendRedPack, .sendGroupRedPack, .sendMiniProgramRedPack: return SimReply(send(api, fields, book, account))
        case .queryRedPack: return query(fields, book, account)
        case .transfer: return SimReply(transfer(fields, book, account))
        case .queryTransfer: return SimReply(queryTransfer(fields, book, account))
        }
    }

    /// A hash of every business field (all but nonce_str and sign): the same order number with
    /// the same fingerprint is the same order.
    static func fingerprint(_ fields: [String: String]) -> Fingerprint {
        let canonical = Signer.canonicalString(fields.filter { $0.key != "nonce_str" })
        let digest = Array(SHA256.hash(data: Array(canonical.utf8)))
        let word = { (at: Int) in digest[at..<(at + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        return Fingerprint(high: word(0), low: word(8))
    }

    /// The appid rules of red packets (§4.3): bound to the merchant, not a mobile app, and the
    /// API that matches its type.
    static func appidRefusal(_ api: SimAPI, _ type: AppIDType?) -> [String: String]? {
        switch type {
        case nil: return SimAnswer.refusal("PARAM_ERROR", "参数错误: wxappid 商户号和wxappid不匹配 (not bound to this mch_id)")
        case .app?: return SimAnswer.error("ILLEGAL_APPID", "非法的appid: 移动应用appid不能发红包")
        case .miniProgram? where api != .sendMiniProgramRedPack:
            return SimAnswer.refusal("PARAM_ERROR", "参数错误: wxappid 是小程序appid, 请使用sendminiprogramhb (a mini program appid)")
        case .officialAccount? where api == .sendMiniProgramRedPack:
            return SimAnswer.refusal("PARAM_ERROR", "参数错误: wxappid 不是小程序appid (not a mini program appid)")
        default: return nil
        }
    }
}
