import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Progress on stderr: on a terminal a bar redrawn in place (done/total, rate, ETA,
/// counts by outcome, in colour unless NO_COLOR is set); otherwise a plain line every
/// `interval` and one at the end, for logs and CI.
final class BatchProgress: Sendable {
    let tally: BatchTally
    let terminal: Bool
    let colour: Bool
    let interval: Duration
    private let started = ContinuousClock.now
    /// Serialises writes to stderr between the ticker and notes; true while a bar is drawn.
    private let drawn = Mutex(false)
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    init(tally: BatchTally, interval: Duration, terminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.tally = tally
        self.terminal = terminal
        self.colour = terminal && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
        self.interval = terminal ? .milliseconds(200) : interval
    }

    func start() {
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                draw()
            }
        }
        ticker.withLock { $0 = task }
    }

    /// Stops the ticker and draws the final state (on a terminal, ending the bar's line).
    func finish() {
        ticker.withLock { $0?.cancel(); $0 = nil }
        draw(final: true)
    }

    /// A message on its own line, without tearing the bar.
    func note(_ text: String) {
        drawn.withLock { drawn in
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            FileHandle.standardError.write(Data((text + "\n").utf8))
            drawn = false
        }
    }

    private func draw(final: Bool = false) {
        let counts = tally.snapshot
        let elapsed = ContinuousClock.now - started
        let line = terminal ? bar(counts, elapsed) : plain(counts, elapsed)
        drawn.withLock { drawn in
            if terminal {
                FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (final ? "\n" : "")).utf8))
                drawn = !final
            } else {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
    }

    /// `progress 120/1000 (12.0%) 40.1/s ETA 0:22 | sent 118 · pending 1 · failed 1 · retrying 0`
    func plain(_ counts: BatchTally.Counts, _ elapsed: Duration) -> String {
        let (rate, eta) = Self.rate(counts, elapsed)
        let percent = counts.total == 0 ? 100 : Double(counts.done) * 100 / Double(counts.total)
        return "progress \(counts.done)/\(counts.total) (\(String(format: "%.1f", percent))%) \(String(format: "%.1f", rate))/s ETA \(eta) | "
            + "sent \(counts.count(.sent)) · pending \(counts.count(.pending)) · failed \(counts.count(.failed)) · retrying \(counts.retrying)"
    }

    func bar(_ counts: BatchTally.Counts, _ elapsed: Duration) -> String {
        let width = 24
        let filled = counts.total == 0 ? width : min(width, counts.done * width / counts.total)
        let (rate, eta) = Self.rate(counts, elapsed)
        func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let text = "[" + paint(String(repeating: "█", count: filled), "32") + String(repeating: "·", count: width - filled) + "] "
            + "\(counts.done)/\(counts.total)  \(String(format: "%.1f", rate))/s  ETA \(eta)  "
            + paint("sent \(counts.count(.sent))", "32") + " · " + paint("pending \(counts.count(.pending))", "33") + " · "
            + paint("failed \(counts.count(.failed))", counts.count(.failed) > 0 ? "31" : "0")
            + (counts.retrying > 0 ? " · retrying \(counts.retrying)" : "")
        return text
    }

    /// Lines a second since the start, and the time left at that rate (`m:ss`, or `h:mm:ss`).
    static func rate(_ counts: BatchTally.Counts, _ elapsed: Duration) -> (Double, String) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(counts.done) / seconds : 0
        let remaining = counts.total - counts.done
        guard remaining > 0 else { return (rate, "0:00") }
        guard rate > 0 else { return (rate, "--:--") }
        return (rate, clock(Int((Double(remaining) / rate).rounded(.up))))
    }

    static func clock(_ seconds: Int) -> String {
        let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
