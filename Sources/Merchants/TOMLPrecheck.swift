/// Refuses, before the text reaches TOMLKit, the invalid TOML on which the toml++ 3.4.0
/// parser inside TOMLKit aborts the whole process (a failed `assert` on its own
/// preconditions) instead of reporting an error: a merchants.d file must never take a
/// gateway down on reload. Each rule only refuses what TOML 1.0 never allows, so valid
/// files pass untouched:
/// - a non-ASCII character outside strings and comments (bare keys are A–Z a–z 0–9 _ -);
/// - brackets and braces that do not nest (`s=[}`);
/// - a table header whose key does not start with a key character (`[[[1]]]`, `[[=`,
///   `[é]`; upstream's fix is marzer/tomlplusplus#301);
/// - an `=` where no key can be: a second one before the value ends (`e=2026-11-0= 1`),
///   or one inside brackets (arrays and headers hold no keys).
/// Found by `make fuzz`; the inputs are kept in fuzz/merchant-toml/regressions.
enum TOMLPrecheck {
    private enum State { case bare, comment, basic, literal, multilineBasic, multilineLiteral }

    /// The first such problem: its 1-based line and what it is.
    static func problem(_ text: String) -> (line: Int, reason: String)? {
        let bytes = Array(text.utf8)
        let quote: UInt8 = 0x22, apostrophe: UInt8 = 0x27, backslash: UInt8 = 0x5C, newline: UInt8 = 0x0A, hash: UInt8 = 0x23
        var state = State.bare
        var line = 1
        var index = 0
        var open: [UInt8] = [] // the brackets and braces open outside strings and comments
        var sawEquals = [false] // per level (the line, then each open brace): a key's `=` already seen
        var lineStart = true   // only spaces and tabs since the last newline
        /// How many of `byte` start at `index` (at most five: a closing delimiter and two
        /// quotes of the content before it, as TOML 1.0 allows).
        func run(of byte: UInt8) -> Int {
            var count = 0
            while count < 5, index + count < bytes.count, bytes[index + count] == byte { count += 1 }
            return count
        }
        /// After a header's `[` or `[[` and any blanks: a bare-key character or a quote.
        func headerStartsWithKey() -> Bool {
            var next = index + 1
            if next < bytes.count, bytes[next] == 0x5B { next += 1 }
            while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
            guard next < bytes.count else { return false }
            let first = bytes[next]
            return (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) || (0x30...0x39).contains(first)
                || first == 0x5F || first == 0x2D || first == quote || first == apostrophe
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline {
                line += 1
                // A line's key-value pair ends with it (after a comment too), unless a bracket is open.
                if open.isEmpty && (state == .bare || state == .comment) { sawEquals[0] = false }
            }
            switch state {
            case .bare:
                if byte >= 0x80 { return (line, "a non-ASCII character outside a string or comment") }
                if byte == 0x5B && open.isEmpty && lineStart && !headerStartsWithKey() {
                    return (line, "a table header that does not start with a key")
                }
                switch byte {
                case hash: state = .comment
                case quote, apostrophe:
                    if run(of: byte) >= 3 {
                        state = byte == quote ? .multilineBasic : .multilineLiteral
                        index += 2
                    } else {
                        state = byte == quote ? .basic : .literal
                    }
                case 0x5B, 0x7B:
                    open.append(byte)
                    sawEquals.append(false)
                case 0x5D, 0x7D:
                    guard let last = open.popLast(), last == (byte == 0x5D ? 0x5B : 0x7B) else {
                        return (line, "a closing '\(Character(UnicodeScalar(byte)))' that closes nothing open")
                    }
                    sawEquals.removeLast()
                case 0x3D: // =
                    if open.last == 0x5B { return (line, "an '=' inside brackets") }
                    if sawEquals[sawEquals.count - 1] { return (line, "a second '=' before the value ends") }
                    sawEquals[sawEquals.count - 1] = true
                case 0x2C: // , ends an inline table's value
                    if open.last == 0x7B { sawEquals[sawEquals.count - 1] = false }
                default: break
                }
            case .comment:
                if byte == newline { state = .bare }
            case .basic, .literal:
                if byte == backslash && state == .basic {
                    index += 1 // an escape: the next byte is the string's
                    if index < bytes.count, bytes[index] == newline { line += 1 }
                } else if byte == (state == .basic ? quote : apostrophe) || byte == newline {
                    state = .bare // a newline ends it too (invalid; TOMLKit says so)
                }
            case .multilineBasic, .multilineLiteral:
                let delimiter = state == .multilineBasic ? quote : apostrophe
                if byte == backslash && state == .multilineBasic {
                    index += 1
                    if index < bytes.count, bytes[index] == newline { line += 1 }
                } else if byte == delimiter, run(of: delimiter) >= 3 {
                    index += run(of: delimiter) - 1
                    state = .bare
                }
            }
            lineStart = byte == newline || (lineStart && (byte == 0x20 || byte == 0x09))
            index += 1
        }
        if let last = open.last { return (line, "a '\(Character(UnicodeScalar(last)))' never closed") }
        return nil
    }
}
