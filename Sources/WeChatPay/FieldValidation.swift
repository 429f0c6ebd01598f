/// One field that would be refused; the request is never sent.
public struct FieldError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let reason: String
    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }
    public var description: String { "\(field): \(reason)" }
}

/// Every field error of one request.
public struct RequestInvalid: Error, Equatable, Sendable, CustomStringConvertible {
    public let errors: [FieldError]

    /// Also made by a connector that cannot address a request for a merchant at all.
    public init(errors: [FieldError]) { self.errors = errors }
    public var description: String { "request refused before sending: " + errors.map(\.description).joined(separator: "; ") }
}

/// Collects field errors with WeChat's rules (reference §3; the numbers and sets are
/// `RedPacketFieldRules` and `TransferFieldRules`). Lengths count Unicode
/// scalars: the reference gives String(n) without saying bytes or characters, and a
/// too-long value is only ever a PARAM_ERROR upstream (nothing paid), so the looser
/// reading costs no money.
struct FieldRules {
    private(set) var errors: [FieldError] = []

    mutating func required(_ field: String, _ value: String, max: Int) {
        if value.isEmpty { errors.append(FieldError(field, "is required")) }
        else { length(field, value, max: max) }
    }

    mutating func optional(_ field: String, _ value: String?, max: Int) {
        guard let value, !value.isEmpty else { return }
        length(field, value, max: max)
    }

    mutating func length(_ field: String, _ value: String, max: Int) {
        if value.unicodeScalars.count > max { errors.append(FieldError(field, "is longer than \(max) characters")) }
        if value != value.trimmingWhitespace { errors.append(FieldError(field, "has leading or trailing spaces (they break signatures)")) }
    }

    /// mch_billno / partner_trade_no: letters and digits only.
    mutating func orderNumber(_ field: String, _ value: String, max: Int) {
        guard !value.isEmpty else { errors.append(FieldError(field, "is required")); return }
        if value.utf8.count > max { errors.append(FieldError(field, "is longer than \(max) characters")) }
        if !value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }) {
            errors.append(FieldError(field, "may only contain 0-9, a-z, A-Z"))
        }
    }

    mutating func ipv4(_ field: String, _ value: String) {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        let valid = parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
        if !valid { errors.append(FieldError(field, "must be an IPv4 address")) }
    }

    mutating func check(_ condition: Bool, _ field: String, _ reason: String) {
        if !condition { errors.append(FieldError(field, reason)) }
    }

    /// Amount per packet vs scene_id: outside 1–200 yuan WeChat requires a scene_id.
    mutating func amount(_ field: String, perPacketFen: Int64, sceneID: String?) {
        check(perPacketFen > 0, field, "must be positive")
        if let sceneID, !sceneID.isEmpty {
            let scenes = RedPacketFieldRules.sceneIDs
            check(scenes.contains(sceneID), "scene_id", "must be one of \(scenes.joined(separator: ", "))")
        } else if !RedPacketFieldRules.plainAmountFen.contains(perPacketFen) {
            errors.append(FieldError(field, "outside \(RedPacketFieldRules.describe(RedPacketFieldRules.plainAmountFen)) requires a scene_id"))
        }
    }

    func result() throws(RequestInvalid) {
        if !errors.isEmpty { throw RequestInvalid(errors: errors) }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
