import WeChatPay

/// What WeChat checks in a request, written from the reference (wechatpay-v2.md §3–§4) and
/// deliberately not from the client's validators: if the client and the simulator shared
/// code, a bug in it would pass every test. Field tables are tables, as in the reference.
enum SimRules {
    /// WeChat's documented defaults (reference §4.1, §4.4).
    enum Defaults {
        static let perMinute = 1800
        static let perUserPerDay = 10
        /// Per packet without a scene_id: 1–200 yuan.
        static let packetRange: ClosedRange<Int64> = 100...20_000
        static let dailyFen: Int64 = 5_000_000
        /// With a scene_id: at most 4999 yuan per packet.
        static let sceneMaximumFen: Int64 = 499_900
        /// Transfers: at least 1 yuan; at most 500 yuan per payment since the 2023 notice.
        static let transferMinimumFen: Int64 = 100
        static let transferMaxFen: Int64 = 50_000
        static let transferPerUserPerDay = 10
        /// 5,000 yuan per real-name user a day; 100,000 yuan per merchant a day (later doc copies).
        static let transferUserDailyFen: Int64 = 500_000
        static let transferDailyFen: Int64 = 10_000_000
        static let transferSettleSeconds: Double = 5
        /// gethbinfo / gettransferinfo answer for 30 days.
        static let queryWindowSeconds: Double = 30 * 86_400
        static let onboardingDays = 90
        static let tradingDays = 30
    }

    enum Presence: Sendable { case required, optional }

    enum Form: Sendable {
        case text
        /// Order numbers: 0-9 a-z A-Z only.
        case alphanumeric
        /// A non-negative decimal integer.
        case integer
        case ipv4
        /// One of a fixed set of values.
        case oneOf([String])
    }

    /// One row of a field table: name, Y/N, String(n), and the form of the value.
    struct Field: Sendable {
        let name: String
        let presence: Presence
        let maxLength: Int
        let form: Form

        init(_ name: String, _ presence: Presence, _ maxLength: Int, _ form: Form = .text) {
            self.name = name
            self.presence = presence
            self.maxLength = maxLength
            self.form = form
        }
    }

    static let scenes = (1...8).map { "PRODUCT_\($0)" }

    /// §3.1 sendredpack.
    static let sendRedPack: [Field] = [
        Field("nonce_str", .required, 32), Field("sign", .required, 64),
        Field("mch_billno", .required, 28, .alphanumeric), Field("mch_id", .required, 32), Field("wxappid", .required, 32),
        Field("send_name", .required, 32), Field("re_openid", .required, 32), Field("total_amount", .required, 10, .integer),
        Field("total_num", .required, 10, .integer), Field("wishing", .required, 128), Field("client_ip", .required, 15, .ipv4),
        Field("act_name", .required, 32), Field("remark", .required, 256), Field("scene_id", .optional, 32, .oneOf(scenes)),
        Field("risk_info", .optional, 128), Field("consume_mch_id", .optional, 32),
        Field("sub_mch_id", .optional, 32), Field("msgappid", .optional, 32),
    ]

    /// §3.3 sendgroupredpack: no client_ip in the table (tolerated when sent, as wechatpy does); amt_type ALL_RAND.
    static let sendGroupRedPack: [Field] = sendRedPack.filter { $0.name != "client_ip" } + [
        Field("client_ip", .optional, 15, .ipv4), Field("amt_type", .required, 32, .oneOf(["ALL_RAND"])),
    ]

    /// §3.4 sendminiprogramhb: no client_ip; notify_way MINI_PROGRAM_JSAPI.
    static let sendMiniProgram: [Field] = sendRedPack.filter { $0.name != "client_ip" } + [
        Field("notify_way", .required, 256, .oneOf(["MINI_PROGRAM_JSAPI"])),
    ]

    /// §3.5 gethbinfo.
    static let queryRedPack: [Field] = [
        Field("nonce_str", .required, 32), Field("sign", .required, 64), Field("mch_billno", .required, 28, .alphanumeric),
        Field("mch_id", .required, 32), Field("appid", .required, 32), Field("bill_type", .required, 32, .oneOf(["MCHT"])),
    ]

    /// §3.6 promotion/transfers (newer lengths: mch_appid 128, openid and re_user_name 64).
    static let transfer: [Field] = [
        Field("mch_appid", .required, 128), Field("mchid", .required, 32), Field("device_info", .optional, 32),
        Field("nonce_str", .required, 32), Field("sign", .required, 64), Field("partner_trade_no", .required, 32, .alphanumeric),
        Field("openid", .required, 64), Field("check_name", .required, 16, .oneOf(["NO_CHECK", "FORCE_CHECK"])),
        Field("re_user_name", .optional, 64), Field("amount", .required, 10, .integer), Field("desc", .required, 100),
        Field("spbill_create_ip", .required, 32, .ipv4), Field("scene", .optional, 64),
    ]

    /// §3.7 gettransferinfo.
    static let queryTransfer: [Field] = [
        Field("nonce_str", .required, 32), Field("sign", .required, 64), Field("partner_trade_no", .required, 32, .alphanumeric),
        Field("mch_id", .required, 32), Field("appid", .required, 32),
    ]

    static func table(for api: SimAPI) -> [Field] {
        switch api {
        case .sendRedPack: sendRedPack
        case .sendGroupRedPack: sendGroupRedPack
        case .sendMiniProgramRedPack: sendMiniProgram
        case .queryRedPack: queryRedPack
        case .transfer: transfer
        case .queryTransfer: queryTransfer
        }
    }

    /// The first field the table refuses, as PARAM_ERROR naming it; nil when every row holds.
    static func fieldRefusal(_ fields: [String: String], _ table: [Field]) -> [String: String]? {
        for field in table {
            guard let value = fields[field.name], !value.isEmpty else {
                if field.presence == .required { return paramError(field.name, "缺少参数 (is required)") }
                continue
            }
            if value.unicodeScalars.count > field.maxLength {
                return paramError(field.name, "长度超过\(field.maxLength) (is longer than \(field.maxLength) characters)")
            }
            switch field.form {
            case .text: break
            case .alphanumeric:
                if !value.utf8.allSatisfy(isAlphanumeric) { return paramError(field.name, "只能是数字和字母 (may only contain 0-9, a-z, A-Z)") }
            case .integer:
                if !value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return paramError(field.name, "必须是整数 (must be a whole number)") }
            case .ipv4:
                if !isIPv4(value) { return paramError(field.name, "IP地址格式错误 (must be an IPv4 address)") }
            case .oneOf(let allowed):
                if !allowed.contains(value) { return paramError(field.name, "取值错误 (must be one of \(allowed.joined(separator: ", ")))") }
            }
        }
        return nil
    }

    static func paramError(_ field: String, _ reason: String) -> [String: String] {
        SimAnswer.refusal("PARAM_ERROR", "参数错误: \(field) \(reason)")
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Four decimal octets 0–255, no signs, no spaces, at most three digits each.
    static func isIPv4(_ text: String) -> Bool {
        let octets = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        return octets.allSatisfy { octet in
            guard (1...3).contains(octet.count), octet.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            return octet.reduce(0) { $0 * 10 + Int($1 - 0x30) } <= 255
        }
    }

    /// total_num and the amount per packet (§3.1, §3.3, §4.1): 1 share for normal and
    /// mini-program packets, 3–20 for a group; without a scene_id the account's per-packet
    /// range (default 1–200 yuan); with one, up to 4999 yuan.
    static func amountRefusal(_ api: SimAPI, amountFen: Int64, totalNum: Int, sceneID: String?, limits: SimAccountSpec.Limits) -> [String: String]? {
        if api == .sendGroupRedPack {
            guard (3...20).contains(totalNum) else { return paramError("total_num", "裂变红包人数必须在3到20之间 (must be 3–20 for a group red packet)") }
        } else if totalNum != 1 {
            return paramError("total_num", "必须为1 (must be 1)")
        }
        guard amountFen > 0 else { return paramError("total_amount", "必须大于0 (must be positive)") }
        let perPacket = amountFen / Int64(totalNum)
        if let sceneID, !sceneID.isEmpty {
            if perPacket < 1 || perPacket > Defaults.sceneMaximumFen {
                return SimAnswer.error("MONEY_LIMIT", "每个红包的金额必须在0.01元到4999元之间 (\(perPacket) fen per packet with scene_id \(sceneID))")
            }
        } else if perPacket < limits.minFen || perPacket > limits.maxFen {
            return SimAnswer.error("MONEY_LIMIT", "每个红包的金额必须在\(limits.minFen)分到\(limits.maxFen)分之间, 超出需要scene_id (\(perPacket) fen per packet without scene_id)")
        }
        return nil
    }

    /// §4.3: on Shanghai day `today` a merchant may pay iff the product is enabled, it was
    /// onboarded ≥ 90 days ago and has traded normally for ≥ 30 days. Nil when it may; else NO_AUTH with the reasons.
    static func qualificationRefusal(_ spec: some SimQualification, today: Int) -> [String: String]? {
        var reasons: [String] = []
        if !spec.redpackEnabled { reasons.append("产品未开通 (product not enabled)") }
        let onboarded = today - spec.onboardedOn.ordinal
        if onboarded < Defaults.onboardingDays {
            reasons.append("入驻\(onboarded)天 (onboarded \(onboarded) days ago, needs \(Defaults.onboardingDays))")
        }
        let trading = today - spec.tradingSince.ordinal
        if trading < Defaults.tradingDays {
            reasons.append("连续正常交易\(max(trading, 0))天 (trading normally for \(max(trading, 0)) days, needs \(Defaults.tradingDays))")
        }
        return reasons.isEmpty ? nil : SimAnswer.error("NO_AUTH", "商户无此接口权限: " + reasons.joined(separator: "; "))
    }
}
