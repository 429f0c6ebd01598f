import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a run did, for people (a table) or scripts (`--json`).
public struct BatchSummary: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        let status: String
        let code: String?
        let lines: Int

        enum CodingKeys: String, CodingKey { case status, code, lines }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(status, forKey: .status)
            try c.encode(code, forKey: .code)
            try c.encode(lines, forKey: .lines)
        }
    }

    let file: String
    let sha256: String
    /// The prefix of every line's Idempotency-Key.
    let batch: String
    let dryRun: Bool
    /// Physical lines in the file, blank lines and the header included.
    let lines: Int
    /// Lines to send.
    let valid: Int
    let invalid: Int
    /// Lines the run started; `valid - started` were not started (interrupted or stopped).
    let started: Int
    let outcomes: [Row]
    let results: String?
    let interrupted: Bool
    let stopped: String?
    /// The command's exit code for this run (its --help lists them).
    public let exitCode: Int32
    let elapsedSeconds: Double
    /// `--dry-run --json`: the first problems (`line N: field: message`).
    let problems: [String]?

    var notStarted: Int { dryRun ? 0 : valid - started }

    enum CodingKeys: String, CodingKey {
        case file, sha256, batch, dryRun = "dry_run", lines, valid, invalid, started, notStarted = "not_started", outcomes, results
        case interrupted, stopped, exitCode = "exit_code", elapsedSeconds = "elapsed_seconds", problems
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(batch, forKey: .batch)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(lines, forKey: .lines)
        try c.encode(valid, forKey: .valid)
        try c.encode(invalid, forKey: .invalid)
        try c.encode(started, forKey: .started)
        try c.encode(notStarted, forKey: .notStarted)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encode(results, forKey: .results)
        try c.encode(interrupted, forKey: .interrupted)
        try c.encode(stopped, forKey: .stopped)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode((elapsedSeconds * 1000).rounded() / 1000, forKey: .elapsedSeconds)
        try c.encodeIfPresent(problems, forKey: .problems)
    }

    static func rows(_ counts: BatchTally.Counts) -> [Row] {
        counts.rows.sorted { $0.key < $1.key }.map { Row(status: $0.key.status, code: $0.key.code, lines: $0.value) }
    }

    /// The table: one row per status (and code, for lines not sent), then what was not
    /// started and the total.
    public func printTable() {
        let colour = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
        func paint(_ text: String, _ group: BatchOutcomeGroup) -> String {
            guard colour else { return text }
            let code = switch group {
            case .sent: "32"
            case .pending: "33"
            case .failed: "31"
            }
            return "\u{1B}[\(code)m\(text)\u{1B}[0m"
        }
        var table: [(String, String, BatchOutcomeGroup?)] = outcomes.map { row in
            let group = BatchOutcomeGroup(status: row.status)
            let label = row.code.map { "\(row.status.replacingOccurrences(of: "_", with: " ")): \($0)" } ?? row.status.replacingOccurrences(of: "_", with: " ")
            return (label, String(row.lines), group)
        }
        if dryRun {
            table = [("valid", String(valid), .sent), ("invalid", String(invalid), invalid > 0 ? .failed : nil)]
        } else {
            if invalid > 0 { table.append(("invalid (nothing sent)", String(invalid), .failed)) }
            if notStarted > 0 { table.append(("not started (\(interrupted ? "interrupted" : "stopped"))", String(notStarted), .failed)) }
        }
        table.append(("total", String(valid + invalid), nil))
        let width = max(7, table.map(\.0.count).max() ?? 0)
        print("OUTCOME".padding(toLength: width, withPad: " ", startingAt: 0) + "  LINES")
        for (label, count, group) in table {
            let padded = label.padding(toLength: width, withPad: " ", startingAt: 0)
            print((group.map { paint(padded, $0) } ?? padded) + "  " + count)
        }
        print("")
        print("file: \(file) (\(lines) lines, sha256 \(sha256.prefix(16))…, keys \(batch)-<line>)")
        if let results { print("results: \(results) (completion order)") }
        if let stopped { print("stopped: \(stopped)") }
        if interrupted || stopped != nil, !dryRun { print("Rerun the same command to resume: lines already sent are answered from the gateway's record, never paid twice.") }
    }
}
