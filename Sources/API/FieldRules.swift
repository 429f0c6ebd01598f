import WeChatPay

/// Checks request values against openapi.yaml's limits (`minLength`, `maxLength`,
/// `minimum`, `maximum`, `maxProperties`, `format: ipv4`, the patterns that keep U+0000
/// out), which the generated code does not enforce: it checks JSON types, required fields
/// and unknown fields only. The rules of WeChat's fields (appid and openid characters,
/// spaces, amounts) are the engine's (`PayoutOrderRules`), which openapi.yaml states too.
/// Collects every violation, then `check()` throws one 400 `invalid_field` naming them.
struct FieldRules {
    var errors: [Components.Schemas.FieldError] = []

    /// Length in Unicode code points, as JSON Schema counts it; and no U+0000, which no
    /// PostgreSQL text or jsonb value can hold (it was a 500).
    mutating func length(_ field: String, _ value: String?, _ limits: ClosedRange<Int>) {
        guard let value else { return }
        if value.unicodeScalars.contains("\0") {
            errors.append(.init(field: field, message: "must not contain U+0000"))
            return
        }
        let count = value.unicodeScalars.count
        if count < limits.lowerBound {
            errors.append(.init(field: field, message: limits.lowerBound == 1 ? "must not be empty" : "must be at least \(limits.lowerBound) characters"))
        } else if count > limits.upperBound {
            errors.append(.init(field: field, message: "must be at most \(limits.upperBound) characters"))
        }
    }

    /// `minimum` and, when given, `maximum`.
    mutating func range(_ field: String, _ value: Int64?, min: Int64, max: Int64? = nil) {
        guard let value else { return }
        if let max, !(min...max).contains(value) {
            errors.append(.init(field: field, message: "must be between \(min) and \(max)"))
        } else if value < min {
            errors.append(.init(field: field, message: "must be at least \(min)"))
        }
    }

    mutating func ipv4(_ field: String, _ value: String?) {
        guard let value else { return }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        let valid = parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && (part.count == 1 || part.first != "0") && Int(part).map { $0 <= 255 } == true
        }
        if !valid { errors.append(.init(field: field, message: "must be an IPv4 address like 203.0.113.7")) }
    }

    mutating func metadata(_ field: String, _ value: [String: String]?, maxKeys: Int = 20, maxValueLength: Int = 500) {
        guard let value else { return }
        if value.count > maxKeys { errors.append(.init(field: field, message: "must have at most \(maxKeys) keys")) }
        if value.keys.contains(where: { $0.unicodeScalars.contains("\0") }) { errors.append(.init(field: field, message: "keys must not contain U+0000")) }
        for (key, text) in value.sorted(by: { $0.key < $1.key }) where !key.unicodeScalars.contains("\0") {
            length("\(field).\(key)", text, 0...maxValueLength)
        }
    }

    /// An openid as the engine takes it (`PayoutOrderRules`): 1–32 letters, digits, `-` or `_`.
    mutating func openID(_ field: String, _ value: String) {
        let valid = (1...RedPacketFieldRules.openIDMaxLength).contains(value.utf8.count) && value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }
        if !valid { errors.append(.init(field: field, message: "must be 1–\(RedPacketFieldRules.openIDMaxLength) letters, digits, - or _")) }
    }

    func check() throws {
        guard !errors.isEmpty else { return }
        let fields = errors.map(\.field).joined(separator: ", ")
        throw Problem(.invalidField, detail: "Invalid value\(errors.count == 1 ? "" : "s"): \(fields).", errors: errors)
    }

    /// The fields every red packet carries, with WeChat's lengths (`RedPacketFieldRules`,
    /// which openapi.yaml states too), named as the JSON names them.
    /// `totalNum` is a group packet's number of shares.
    mutating func redPacket(appid: String, openid: String, amountFen: Int64, totalNum: Int? = nil, wishing: String, actName: String,
                            remark: String, sendName: String?, riskInfo: String?) {
        typealias R = RedPacketFieldRules
        length("appid", appid, 1...R.appIDMaxLength)
        length("openid", openid, 1...R.openIDMaxLength)
        range("amount_fen", amountFen, min: 1)
        range("total_num", totalNum.map { Int64($0) }, min: Int64(R.groupShares.lowerBound), max: Int64(R.groupShares.upperBound))
        length("wishing", wishing, 1...R.wishingMaxLength)
        length("act_name", actName, 1...R.actNameMaxLength)
        length("remark", remark, 1...R.remarkMaxLength)
        length("send_name", sendName, 1...R.sendNameMaxLength)
        length("risk_info", riskInfo, 1...R.riskInfoMaxLength)
    }
}

extension Components.Schemas.CreateRedpackRequest {
    /// openapi.yaml's limits for `POST /v1/redpacks`.
    func validate() throws {
        var rules = FieldRules()
        rules.redPacket(appid: appid, openid: openid, amountFen: amountFen, wishing: wishing, actName: actName, remark: remark,
                        sendName: sendName, riskInfo: riskInfo)
        rules.ipv4("client_ip", clientIp)
        rules.metadata("metadata", metadata?.additionalProperties)
        try rules.check()
    }
}

extension Components.Schemas.CreateGroupRedpackRequest {
    /// openapi.yaml's limits for `POST /v1/group-redpacks`.
    func validate() throws {
        var rules = FieldRules()
        rules.redPacket(appid: appid, openid: openid, amountFen: amountFen, totalNum: totalNum, wishing: wishing, actName: actName,
                        remark: remark, sendName: sendName, riskInfo: riskInfo)
        rules.metadata("metadata", metadata?.additionalProperties)
        try rules.check()
    }
}

extension Components.Schemas.CreateWebhookRequest {
    /// openapi.yaml's limits for `POST /v1/webhooks` (the URL's shape and target are the
    /// webhook store's to judge).
    func validate() throws {
        var rules = FieldRules()
        rules.length("url", url, 1...2048)
        rules.length("description", description, 1...256)
        if let events {
            if events.isEmpty { rules.errors.append(.init(field: "events", message: "must list at least one event, or be left out for every event")) }
            if Set(events).count != events.count { rules.errors.append(.init(field: "events", message: "must not repeat an event")) }
        }
        try rules.check()
    }
}
