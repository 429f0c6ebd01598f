import Synchronization

/// Counts of lines by outcome, shared by the sender (which records) and the progress
/// display (which reads). Its size is the number of distinct (status, code) pairs, a few
/// dozen at most, whatever the file's length.
final class BatchTally: Sendable {
    /// A summary row: a status, and for lines not sent the code that says why.
    struct Key: Hashable, Comparable, Sendable {
        let status: String
        let code: String?

        var group: BatchOutcomeGroup { BatchOutcomeGroup(status: status) }

        static func < (a: Key, b: Key) -> Bool {
            (a.group, a.status, a.code ?? "") < (b.group, b.status, b.code ?? "")
        }
    }

    struct Counts: Sendable {
        /// Lines to send (the valid lines of the file).
        var total = 0
        /// Lines handed to the sender.
        var started = 0
        var done = 0
        /// Lines waiting to retry (a 429, a 503, a transport failure).
        var retrying = 0
        var byGroup: [BatchOutcomeGroup: Int] = [:]
        var rows: [Key: Int] = [:]

        func count(_ group: BatchOutcomeGroup) -> Int { byGroup[group] ?? 0 }
    }

    private let counts: Mutex<Counts>

    init(total: Int) { counts = Mutex(Counts(total: total)) }

    var snapshot: Counts { counts.withLock { $0 } }

    func started() { counts.withLock { $0.started += 1 } }

    func retrying(_ delta: Int) { counts.withLock { $0.retrying += delta } }

    func record(_ outcome: BatchOutcome) {
        let key = Key(status: outcome.status, code: outcome.group == .sent ? nil : outcome.code)
        counts.withLock { counts in
            counts.done += 1
            counts.byGroup[outcome.group, default: 0] += 1
            counts.rows[key, default: 0] += 1
        }
    }
}
