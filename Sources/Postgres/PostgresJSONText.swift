extension PostgresJSON {
    /// A flat object of strings, written directly (sorted keys, JSON escapes): the audit
    /// details and outbox payloads on the hot path, without JSONEncoder's cost.
    public init(object: [String: String]) {
        var text = "{"
        for (index, (key, value)) in object.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { text += "," }
            Self.appendString(key, to: &text)
            text += ":"
            Self.appendString(value, to: &text)
        }
        self.init(text: text + "}")
    }

    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}
