/// Finds a non-ASCII character outside TOML's strings and comments, before the text
/// reaches TOMLKit. TOML 1.0 allows such characters only inside strings and comments
/// (bare keys are A–Z a–z 0–9 _ -), so nothing valid is refused — but the toml++ parser
/// inside TOMLKit aborts the whole process (a failed `assert`) on a table header such as
/// `[é]` instead of reporting an error, and a merchants.d file must never take a gateway
/// down on reload. Found by `make fuzz` (fuzz/merchant-toml/regressions).
enum TOMLBareText {
    private enum State { case bare, comment, basic, literal, multilineBasic, multilineLiteral }

    /// The 1-based line of the first non-ASCII character outside a string or a comment, if any.
    static func firstNonASCIILine(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        let quote: UInt8 = 0x22, apostrophe: UInt8 = 0x27, backslash: UInt8 = 0x5C, newline: UInt8 = 0x0A, hash: UInt8 = 0x23
        var state = State.bare
        var line = 1
        var index = 0
        /// How many of `byte` start at `index` (at most five: a closing delimiter and two
        /// quotes of the content before it, as TOML 1.0 allows).
        func run(of byte: UInt8) -> Int {
            var count = 0
            while count < 5, index + count < bytes.count, bytes[index + count] == byte { count += 1 }
            return count
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline { line += 1 }
            switch state {
            case .bare:
                if byte >= 0x80 { return line }
                if byte == hash {
                    state = .comment
                } else if byte == quote || byte == apostrophe {
                    if run(of: byte) >= 3 {
                        state = byte == quote ? .multilineBasic : .multilineLiteral
                        index += 2
                    } else {
                        state = byte == quote ? .basic : .literal
                    }
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
            index += 1
        }
        return nil
    }
}
