import Payouts

/// The two file formats (docs/send-batch.md).
public enum BatchFormat: String, CaseIterable, Sendable {
    /// One openid per line.
    case txt
    /// openid, amount_fen, wishing, remark; all but openid optional; a header row allowed.
    case csv

    /// `.csv` files are CSV, anything else one openid per line.
    public static func guess(path: String) -> BatchFormat { path.lowercased().hasSuffix(".csv") ? .csv : .txt }
}

/// Turns a file's lines into entries, one line at a time (it keeps no per-line state, so a
/// file of any length parses in the same memory). Blank lines and lines starting with `#`
/// are skipped; so is a CSV header, a first row whose first field is `openid`. A library
/// function on purpose: whatever bytes a line holds, `parse` answers, so a fuzzer can call it.
public struct BatchLineParser {
    public enum Parsed: Sendable {
        case skipped
        case entry(BatchEntry)
        case invalid(BatchLineProblem)
    }

    enum Column: String, CaseIterable {
        case openid, amountFen = "amount_fen", wishing, remark
    }

    public let format: BatchFormat
    public let defaults: BatchDefaults
    private var columns = Column.allCases
    private var sawContent = false

    public init(format: BatchFormat, defaults: BatchDefaults) {
        self.format = format
        self.defaults = defaults
    }

    public mutating func parse(_ raw: BatchRawLine) -> Parsed {
        let number = raw.number
        if raw.tooLong {
            return .invalid(BatchLineProblem(line: number, problems: [FieldProblem("line", "is longer than \(BatchLineReader.maximumLineBytes) bytes")]))
        }
        var bytes = raw.bytes[...]
        if number == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) } // a UTF-8 byte order mark
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        if bytes.isEmpty || bytes.first == 0x23 { return .skipped }
        defer { sawContent = true }
        switch format {
        case .txt:
            if !sawContent, bytes.elementsEqual("openid".utf8) { return .skipped } // a header, as in CSV
            return text(number, bytes)
        case .csv: return csv(number, Array(bytes))
        }
    }

    private func text(_ number: Int, _ bytes: ArraySlice<UInt8>) -> Parsed {
        if bytes.contains(0x2C) {
            return .invalid(BatchLineProblem(line: number, problems: [FieldProblem("openid", "has a comma: for CSV name the file .csv or pass --format csv")]))
        }
        guard let openID = String(validating: bytes, as: UTF8.self) else { return notUTF8(number) }
        return result(defaults.entry(line: number, openID: openID, amountText: nil, wishing: nil, remark: nil))
    }

    private mutating func csv(_ number: Int, _ bytes: [UInt8]) -> Parsed {
        let raw: [[UInt8]]
        do { raw = try CSVFields.split(bytes) } catch {
            return .invalid(BatchLineProblem(line: number, problems: [FieldProblem("line", error.message)]))
        }
        var fields: [String] = []
        for field in raw {
            guard let text = String(validating: field, as: UTF8.self) else { return notUTF8(number) }
            fields.append(text)
        }
        if !sawContent, fields.first?.lowercased() == Column.openid.rawValue { return header(number, fields) }
        guard fields.count <= columns.count else {
            let names = columns.map(\.rawValue).joined(separator: ", ")
            return .invalid(BatchLineProblem(line: number, problems: [FieldProblem(
                "line", "has \(fields.count) fields, at most \(columns.count) expected (\(names)); quote a field that contains a comma")]))
        }
        func value(_ column: Column) -> String? { columns.firstIndex(of: column).flatMap { $0 < fields.count ? fields[$0] : nil } }
        return result(defaults.entry(line: number, openID: value(.openid) ?? "", amountText: value(.amountFen), wishing: value(.wishing),
                                     remark: value(.remark)))
    }

    /// Names the columns, in any order; `amount` alone is refused, as it does not say fen.
    private mutating func header(_ number: Int, _ names: [String]) -> Parsed {
        var problems: [FieldProblem] = []
        var columns: [Column] = []
        for name in names.map({ $0.lowercased() }) {
            if let column = Column(rawValue: name) {
                if columns.contains(column) { problems.append(FieldProblem("header", "names \(name) twice")) }
                columns.append(column)
            } else if name.hasPrefix("amount") || name == "yuan" || name == "fen" {
                problems.append(FieldProblem("header", "column \(name): amounts are in fen, so name it amount_fen (100 = 1 yuan)"))
            } else {
                problems.append(FieldProblem("header", "unknown column \(name); the columns are \(Column.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        guard problems.isEmpty else { return .invalid(BatchLineProblem(line: number, problems: problems)) }
        self.columns = columns
        return .skipped
    }

    private func notUTF8(_ number: Int) -> Parsed {
        .invalid(BatchLineProblem(line: number, problems: [FieldProblem("line", "is not valid UTF-8")]))
    }

    private func result(_ entry: Result<BatchEntry, BatchLineProblem>) -> Parsed {
        switch entry {
        case .success(let entry): .entry(entry)
        case .failure(let problem): .invalid(problem)
        }
    }
}
