import WeChatPay

/// The gateway's checks of a tenant's order, with WeChat's field rules
/// (`RedPacketFieldRules`, `TransferFieldRules`: the numbers and sets the API edge and the
/// request builders read too). Lengths count Unicode scalars; leading or trailing spaces
/// are refused (WeChat signs values as sent). A merchant's own limits come later, in routing.
public enum PayoutOrderRules {
    public static let metadataKeys = 20

    public static func problems(_ order: PayoutOrder) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        func text(_ field: String, _ value: String?, max: Int, required: Bool) {
            guard let value, !value.isEmpty else {
                if required { problems.append(FieldProblem(field, "is required")) }
                return
            }
            if value.unicodeScalars.count > max { problems.append(FieldProblem(field, "must be at most \(max) characters")) }
            if value.first?.isWhitespace == true || value.last?.isWhitespace == true {
                problems.append(FieldProblem(field, "must not start or end with spaces"))
            }
            if value.unicodeScalars.contains(where: { $0.value < 0x20 }) { problems.append(FieldProblem(field, "must not contain control characters")) }
        }
        func token(_ field: String, _ value: String, max: Int, extra: Set<UInt8> = []) {
            guard !value.isEmpty else { problems.append(FieldProblem(field, "is required")); return }
            let ok = value.utf8.count <= max && value.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || extra.contains($0) }
            if !ok { problems.append(FieldProblem(field, "must be 1–\(max) letters and digits" + (extra.isEmpty ? "" : " (or - _)"))) }
        }
        typealias R = RedPacketFieldRules
        token("appid", order.appID, max: R.appIDMaxLength)
        token("openid", order.openID, max: R.openIDMaxLength, extra: [0x2D, 0x5F])
        metadataProblems(order, &problems)
        if order.kind == .transfer {
            // The field checks report through `text`, which appends to `problems` itself.
            let extra = transferProblems(order, text: text)
            return problems + extra
        }
        text("wishing", order.wishing, max: R.wishingMaxLength, required: true)
        text("act_name", order.actName, max: R.actNameMaxLength, required: true)
        text("remark", order.remark, max: R.remarkMaxLength, required: true)
        text("send_name", order.sendName, max: R.sendNameMaxLength, required: false)
        text("risk_info", order.riskInfo, max: R.riskInfoMaxLength, required: false)
        if let scene = order.sceneID, !R.sceneIDs.contains(scene) {
            problems.append(FieldProblem("scene_id", "must be one of \(R.sceneIDs.first!) … \(R.sceneIDs.last!)"))
        }
        switch order.kind {
        case .normal:
            if order.totalNum != 1 { problems.append(FieldProblem("total_num", "must be 1 for a normal red packet")) }
            if let ip = order.clientIP, !isIPv4(ip) { problems.append(FieldProblem("client_ip", "must be an IPv4 address")) }
        case .group:
            if !R.groupShares.contains(order.totalNum) {
                problems.append(FieldProblem("total_num", "must be \(R.groupShares.lowerBound)–\(R.groupShares.upperBound) for a group red packet"))
            }
            if order.clientIP != nil { problems.append(FieldProblem("client_ip", "is not sent for group red packets")) }
        case .transfer:
            break // checked by transferProblems
        }
        if order.amountFen <= 0 {
            problems.append(FieldProblem("amount_fen", "must be positive"))
        } else if order.totalNum > 0 {
            let share = order.perShareFen
            let what = order.kind == .group ? "per share (amount_fen / total_num = \(share))" : ""
            let (plain, scene) = (R.plainAmountFen, R.sceneAmountFen)
            if order.sceneID == nil, !plain.contains(share) {
                problems.append(FieldProblem("amount_fen", "\(what.isEmpty ? "" : what + " ")must be \(R.describe(plain)) without a scene_id"))
            } else if order.sceneID != nil, !scene.contains(share) {
                problems.append(FieldProblem("amount_fen", "\(what.isEmpty ? "" : what + " ")must be \(scene.lowerBound)–\(scene.upperBound) fen with a scene_id"))
            }
        }
        if order.checkName != nil || order.userName != nil || order.description != nil {
            problems.append(FieldProblem("check_name", "is for transfers only"))
        }
        return problems
    }

    static func metadataProblems(_ order: PayoutOrder, _ problems: inout [FieldProblem]) {
        guard let metadata = order.metadata else { return }
        if metadata.count > metadataKeys { problems.append(FieldProblem("metadata", "may hold at most \(metadataKeys) keys")) }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            if key.isEmpty || key.unicodeScalars.count > 40 { problems.append(FieldProblem("metadata.\(key)", "keys must be 1–40 characters")) }
            if value.unicodeScalars.count > 500 { problems.append(FieldProblem("metadata.\(key)", "must be at most 500 characters")) }
        }
    }

    /// Enterprise payment (reference §3.6, §4.4): a description, the real-name check, an
    /// amount of at least 1 yuan (the merchant's own ceiling applies in routing).
    static func transferProblems(_ order: PayoutOrder, text: (String, String?, Int, Bool) -> Void) -> [FieldProblem] {
        typealias T = TransferFieldRules
        var problems: [FieldProblem] = []
        text("description", order.description, T.descriptionMaxLength, true)
        switch order.checkName {
        case T.noNameCheck:
            if order.userName != nil { problems.append(FieldProblem("re_user_name", "is only sent with check_name \(T.forceNameCheck)")) }
        case T.forceNameCheck:
            text("re_user_name", order.userName, T.userNameMaxLength, true)
        default:
            problems.append(FieldProblem("check_name", "must be \(T.noNameCheck) or \(T.forceNameCheck)"))
        }
        if let ip = order.clientIP, !isIPv4(ip) { problems.append(FieldProblem("client_ip", "must be an IPv4 address")) }
        if !T.amountFen.contains(order.amountFen) {
            problems.append(FieldProblem("amount_fen", "must be \(T.amountFen.lowerBound)–\(T.amountFen.upperBound) fen for a transfer"))
        }
        if order.totalNum != 1 || !order.wishing.isEmpty || !order.actName.isEmpty || !order.remark.isEmpty || order.sendName != nil
            || order.sceneID != nil || order.riskInfo != nil {
            problems.append(FieldProblem("kind", "a transfer carries no red packet fields"))
        }
        return problems
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && Int(part)! <= 255
        }
    }
}
