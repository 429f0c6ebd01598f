/// WeChat Pay's flat XML documents, parsed by hand and strictly (reference §1.2, §1.4).
///
/// Accepted: an optional `<?xml …?>` declaration, one `<xml>` root, child elements
/// holding text and/or CDATA, the five predefined entities and numeric character
/// references. Refused with a reason: DOCTYPE, ENTITY and any other `<!`/`<?` markup
/// inside the document, custom entities, attributes, nesting (except declared lists),
/// duplicate elements, invalid UTF-8, more than `maximumSize` bytes. Refusing before
/// any entity could be expanded is what keeps XXE and entity bombs out.
public enum WeChatXML {
    public static let maximumSize = 64 * 1024

    /// A parsed document: flat fields plus declared lists (container → items).
    public struct Document: Equatable, Sendable {
        public var fields: [String: String]
        public var lists: [String: [[String: String]]]

        public init(fields: [String: String] = [:], lists: [String: [[String: String]]] = [:]) {
            self.fields = fields
            self.lists = lists
        }

        public subscript(name: String) -> String? { fields[name] }
    }

    public struct CodecError: Error, CustomStringConvertible, Equatable, Sendable {
        public let reason: String
        public var description: String { "XML refused: \(reason)" }
    }

    // MARK: encoding

    /// `<xml>` with one child per field, in name order. Numbers are written bare,
    /// everything else in CDATA (escaped text when the value itself contains `]]>`).
    public static func encode(_ fields: [String: String], lists: [String: (item: String, entries: [[String: String]])] = [:]) -> String {
        var out = "<xml>"
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            out += element(name, value)
        }
        for (container, list) in lists.sorted(by: { $0.key < $1.key }) {
            out += "<\(container)>"
            for entry in list.entries {
                out += "<\(list.item)>"
                for (name, value) in entry.sorted(by: { $0.key < $1.key }) { out += element(name, value) }
                out += "</\(list.item)>"
            }
            out += "</\(container)>"
        }
        return out + "</xml>"
    }

    private static func element(_ name: String, _ value: String) -> String {
        if !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return "<\(name)>\(value)</\(name)>" }
        if value.contains("]]>") { return "<\(name)>\(escape(value))</\(name)>" }
        return "<\(name)><![CDATA[\(value)]]></\(name)>"
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    // MARK: decoding

    /// Parses `bytes`. `lists` names the only elements allowed to nest: container → item.
    public static func decode(_ bytes: [UInt8], lists: [String: String] = [:]) throws(CodecError) -> Document {
        guard bytes.count <= maximumSize else { throw CodecError(reason: "document of \(bytes.count) bytes exceeds \(maximumSize)") }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw CodecError(reason: "not valid UTF-8") }
        var parser = Parser(bytes: bytes)
        return try parser.document(lists: lists)
    }

    public static func decode(_ text: String, lists: [String: String] = [:]) throws(CodecError) -> Document {
        try decode(Array(text.utf8), lists: lists)
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: String) -> CodecError { CodecError(reason: "\(reason) at byte \(i)") }

        mutating func document(lists: [String: String]) throws(CodecError) -> Document {
            skipWhitespace()
            if starts("<?xml") {
                guard let end = find("?>", from: i) else { throw fail("unterminated XML declaration") }
                i = end + 2
            }
            skipWhitespace()
            if starts("<!") { throw fail(starts("<!DOCTYPE") ? "DOCTYPE is not allowed" : "markup declaration is not allowed") }
            guard try openTag() == "xml" else { throw fail("root element must be <xml>") }
            var document = Document()
            while true {
                skipWhitespace()
                if starts("</") {
                    try closeTag("xml")
                    break
                }
                guard i < bytes.count else { throw fail("unterminated <xml>") }
                let name = try openTag()
                if let item = lists[name] {
                    guard document.lists[name] == nil, document.fields[name] == nil else { throw fail("duplicate element <\(name)>") }
                    document.lists[name] = try list(container: name, item: item)
                } else {
                    guard document.fields[name] == nil, document.lists[name] == nil else { throw fail("duplicate element <\(name)>") }
                    document.fields[name] = try text(closing: name)
                }
            }
            skipWhitespace()
            guard i == bytes.count else { throw fail("content after </xml>") }
            return document
        }

        mutating func list(container: String, item: String) throws(CodecError) -> [[String: String]] {
            var items: [[String: String]] = []
            while true {
                skipWhitespace()
                if starts("</") {
                    try closeTag(container)
                    return items
                }
                guard try openTag() == item else { throw fail("<\(container)> may only hold <\(item)>") }
                var entry: [String: String] = [:]
                while true {
                    skipWhitespace()
                    if starts("</") {
                        try closeTag(item)
                        break
                    }
                    let name = try openTag()
                    guard entry[name] == nil else { throw fail("duplicate element <\(name)> in <\(item)>") }
                    entry[name] = try text(closing: name)
                }
                items.append(entry)
            }
        }

        /// Reads `<name>` and returns the name; `<name/>` is not used by WeChat and refused.
        mutating func openTag() throws(CodecError) -> String {
            if starts("<!") { throw fail(starts("<!DOCTYPE") ? "DOCTYPE is not allowed" : starts("<!ENTITY") ? "ENTITY is not allowed" : "markup declaration is not allowed") }
            if starts("<?") { throw fail("processing instruction is not allowed") }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "<") else { throw fail("expected an element") }
            i += 1
            let name = readName()
            guard !name.isEmpty else { throw fail("expected an element name") }
            guard i < bytes.count, bytes[i] == UInt8(ascii: ">") else { throw fail("attributes or malformed tag in <\(name)>") }
            i += 1
            return name
        }

        mutating func closeTag(_ name: String) throws(CodecError) {
            guard starts("</") else { throw fail("expected </\(name)>") }
            i += 2
            let found = readName()
            skipWhitespace()
            guard found == name, i < bytes.count, bytes[i] == UInt8(ascii: ">") else { throw fail("expected </\(name)>, found </\(found)") }
            i += 1
        }

        /// Text and CDATA up to `</name>`; any child element is nesting and refused.
        mutating func text(closing name: String) throws(CodecError) -> String {
            var value: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "<") {
                    if starts("<![CDATA[") {
                        guard let end = find("]]>", from: i + 9) else { throw fail("unterminated CDATA") }
                        value += bytes[(i + 9)..<end]
                        i = end + 3
                        continue
                    }
                    if starts("</") {
                        try closeTag(name)
                        return String(decoding: value, as: UTF8.self)
                    }
                    if starts("<!") || starts("<?") { _ = try openTag() }
                    throw fail("nested element inside <\(name)>")
                }
                if b == UInt8(ascii: "&") {
                    value += Array(try entity().utf8)
                    continue
                }
                value.append(b)
                i += 1
            }
            throw fail("unterminated <\(name)>")
        }

        mutating func entity() throws(CodecError) -> String {
            guard let end = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw fail("bare '&'") }
            let name = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
            i = end + 1
            switch name {
            case "lt": return "<"
            case "gt": return ">"
            case "amp": return "&"
            case "quot": return "\""
            case "apos": return "'"
            default:
                var digits = Substring(name)
                guard digits.first == "#" else { throw fail("entity &\(name); is not allowed") }
                digits = digits.dropFirst()
                let radix = digits.first == "x" || digits.first == "X" ? 16 : 10
                if radix == 16 { digits = digits.dropFirst() }
                guard let code = UInt32(digits, radix: radix), let scalar = Unicode.Scalar(code), code != 0 else {
                    throw fail("bad character reference &\(name);")
                }
                return String(Character(scalar))
            }
        }

        mutating func readName() -> String {
            let start = i
            while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        static func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        }

        mutating func skipWhitespace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        func starts(_ prefix: StaticString) -> Bool {
            let p = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            guard i + p.count <= bytes.count else { return false }
            for k in 0..<p.count where bytes[i + k] != p[k] { return false }
            return true
        }

        func find(_ needle: StaticString, from start: Int) -> Int? {
            let p = Array(UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount))
            var k = start
            while k + p.count <= bytes.count {
                if bytes[k] == p[0], Array(bytes[k..<(k + p.count)]) == p { return k }
                k += 1
            }
            return nil
        }
    }
}
