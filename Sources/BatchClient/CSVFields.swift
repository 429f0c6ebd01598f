/// Splits one CSV line (RFC 4180, without line breaks inside quotes: a batch line is one
/// physical line, so its number is the one an editor shows). Unquoted fields are trimmed
/// of spaces; quoted ones are kept exactly, with `""` for a quote.
public enum CSVFields {
    public struct Malformed: Error {
        public let message: String
    }

    public static func split(_ bytes: [UInt8]) throws(Malformed) -> [[UInt8]] {
        var fields: [[UInt8]] = []
        var index = 0
        let count = bytes.count
        while true {
            while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            var field: [UInt8] = []
            if index < count, bytes[index] == 0x22 {
                index += 1
                var closed = false
                while index < count {
                    if bytes[index] == 0x22 {
                        if index + 1 < count, bytes[index + 1] == 0x22 {
                            field.append(0x22)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    field.append(bytes[index])
                    index += 1
                }
                guard closed else { throw Malformed(message: "field \(fields.count + 1) opens a quote it never closes") }
                while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
                guard index == count || bytes[index] == 0x2C else {
                    throw Malformed(message: "field \(fields.count + 1) has text after its closing quote")
                }
            } else {
                while index < count, bytes[index] != 0x2C {
                    guard bytes[index] != 0x22 else {
                        throw Malformed(message: "field \(fields.count + 1) has a quote inside; quote the whole field and double the quote")
                    }
                    field.append(bytes[index])
                    index += 1
                }
                while let last = field.last, last == 0x20 || last == 0x09 { field.removeLast() }
            }
            fields.append(field)
            guard index < count else { return fields }
            index += 1 // the comma
        }
    }
}
