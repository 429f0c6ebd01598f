/// The gateway's checks of a tenant's order, written from the reference's field tables
/// (§3.1, §3.3, §4.1). Lengths count Unicode scalars; leading or trailing spaces are
/// refused (WeChat signs values as sent). A merchant's own limits come later, in routing.
public enum PayoutOrderRules {
    public static let sceneIDs: Set<String> = Set((1...8).map { "PRODUCT_\($0)" })
    /// Per packet without a scene_id: 1–200 yuan; with one: up to 4999 yuan.
    public static let plainRange: ClosedRange<Int64> = 100...20_000
    public static let sceneRange: ClosedRange<Int64> = 1...499_900
    public static let groupShares: ClosedRange<Int> = 3...20
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
        token("appid", order.appID, max: 32)
        token("openid", order.openID, max: 32, extra: [0x2D, 0x5F])
        metadataProblems(order, &problems)
        if order.kind == .transfer {
            // The field checks report through `text`, which appends to `problems` itself.
            let extra = transferProblems(order, text: text)
            return problems + extra
        }
        text("wishing", order.wishing, max: 128, required: true)
        text("act_name", order.actName, max: 32, required: true)
        text("remark", order.remark, max: 256, required: true)
        text("send_name", order.sendName, max: 32, required: false)
        text("risk_info", order.riskInfo, max: 128, required: false)
        if let scene = order.sceneID, !sceneIDs.contains(scene) {
            problems.append(FieldProblem("scene_id", "must be one of PRODUCT_1 … PRODUCT_8"))
        }
        switch order.kind {
        case .normal:
            if order.totalNum != 1 { problems.append(FieldProblem("total_num", "must be 1 for a normal red packet")) }
            if let ip = order.clientIP, !isIPv4(ip) { problems.append(FieldProblem("client_ip", "must be an IPv4 address")) }
        case .group:
            if !groupShares.contains(order.totalNum) { problems.append(FieldProblem("total_num", "must be 3–20 for a group red packet")) }
            if order.clientIP != nil { problems.append(FieldProblem("client_ip", "is not sent for group red packets")) }
        case .transfer:
            break // checked by transferProblems
        }
        if order.amountFen <= 0 {
            problems.append(FieldProblem("amount_fen", "must be positive"))
        } else if order.totalNum > 0 {
            let share = order.perShareFen
            let what = order.kind == .group ? "per share (amount_fen / total_num = \(share))" : ""
            if order.sceneID == nil, !plainRange.contains(share) {
                problems.append(FieldProblem("amount_fen", "\(what.isEmpty ? "" : what + " ")must be 100–20000 fen (1–200 yuan) without a scene_id"))
            } else if order.sceneID != nil, !sceneRange.contains(share) {
                problems.append(FieldProblem("amount_fen", "\(what.isEmpty ? "" : what + " ")must be 1–499900 fen with a scene_id"))
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
    public static let transferMinimumFen: Int64 = 100
    public static let transferMaximumFen: Int64 = 2_000_000

    static func transferProblems(_ order: PayoutOrder, text: (String, String?, Int, Bool) -> Void) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        text("description", order.description, 100, true)
        switch order.checkName {
        case "NO_CHECK":
            if order.userName != nil { problems.append(FieldProblem("re_user_name", "is only sent with check_name FORCE_CHECK")) }
        case "FORCE_CHECK":
            text("re_user_name", order.userName, 64, true)
        default:
            problems.append(FieldProblem("check_name", "must be NO_CHECK or FORCE_CHECK"))
        }
        if let ip = order.clientIP, !isIPv4(ip) { problems.append(FieldProblem("client_ip", "must be an IPv4 address")) }
        if !(transferMinimumFen...transferMaximumFen).contains(order.amountFen) {
            problems.append(FieldProblem("amount_fen", "must be \(transferMinimumFen)–\(transferMaximumFen) fen for a transfer"))
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
