/// Faults injected into the WeChat endpoints (control API `POST /_sim/faults`).
/// Each request is hit with probability `rate`; a hit request waits `latency_ms`, then
/// suffers one of the enabled faults, chosen at random.
public struct FaultPlan: Codable, Sendable, Equatable {
    public var latencyMs: Int?
    /// Close the connection without processing: nothing happened upstream.
    public var dropBeforeCommit: Bool?
    /// Process and commit, then close the connection without answering.
    public var dropAfterCommit: Bool?
    /// Process and commit, then answer SYSTEMERROR.
    public var systemerror: Bool?
    /// Process and commit, then answer HTTP 500.
    public var http500: Bool?
    /// Process and commit, then answer bytes that are not XML.
    public var garbage: Bool?
    /// Sends only: keep the order and drop the connection without an answer; the order
    /// commits this many seconds later on the sim clock (NOT_FOUND until then; `LateCommits`).
    public var commitLateSeconds: Int?
    /// What a resend of a number still waiting for its late commit is answered (default FREQ_LIMIT).
    public var lateResendCode: String?
    public var rate: Double

    public static let defaultLateResendCode = "FREQ_LIMIT"

    public init(latencyMs: Int? = nil, dropBeforeCommit: Bool? = nil, dropAfterCommit: Bool? = nil, systemerror: Bool? = nil,
                http500: Bool? = nil, garbage: Bool? = nil, commitLateSeconds: Int? = nil, lateResendCode: String? = nil, rate: Double) {
        self.latencyMs = latencyMs
        self.dropBeforeCommit = dropBeforeCommit
        self.dropAfterCommit = dropAfterCommit
        self.systemerror = systemerror
        self.http500 = http500
        self.garbage = garbage
        self.commitLateSeconds = commitLateSeconds
        self.lateResendCode = lateResendCode
        self.rate = rate
    }

    enum Fault: Sendable, Equatable { case dropBeforeCommit, dropAfterCommit, systemerror, http500, garbage, commitLate }

    /// Decides what happens to one request: the delay and the fault, if any. A late
    /// commit is drawn only for a send (`sends`).
    func draw(sends: Bool) -> (latencyMs: Int, fault: Fault?) {
        guard Double.random(in: 0..<1) < rate else { return (0, nil) }
        var enabled: [Fault] = []
        if dropBeforeCommit == true { enabled.append(.dropBeforeCommit) }
        if dropAfterCommit == true { enabled.append(.dropAfterCommit) }
        if systemerror == true { enabled.append(.systemerror) }
        if http500 == true { enabled.append(.http500) }
        if garbage == true { enabled.append(.garbage) }
        if sends, commitLateSeconds != nil { enabled.append(.commitLate) }
        return (latencyMs ?? 0, enabled.randomElement())
    }

    var problems: [String] {
        var out: [String] = []
        if !(0...1).contains(rate) { out.append("rate must be within 0…1") }
        if let l = latencyMs, l < 0 || l > 120_000 { out.append("latency_ms must be within 0…120000") }
        if let s = commitLateSeconds, s < 0 || s > 30 * 86_400 { out.append("commit_late_seconds must be within 0…2592000") }
        if let code = lateResendCode, code.isEmpty || code.count > 32 || !code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            out.append("late_resend_code must be 1–32 letters, digits or underscores")
        }
        return out
    }
}
