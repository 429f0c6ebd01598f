import Foundation
import Operations

extension AdminViews {
    /// The status page's "Last hour" section: one row per entity with two sparklines and
    /// their figures in words — its payouts per minute (every instance's, from PostgreSQL)
    /// and the p99 per minute of this instance's calls to WeChat under its mch_id (memory).
    struct LastHour {
        /// The window's first and last minute, UTC ("09:43", "10:42").
        let from, to: String
        /// When this instance began counting calls, when that was within the hour.
        let latencySince: String?
        let rows: [EntityHour]
    }

    struct EntityHour {
        let name, mchID: String
        /// In merchants.d now (an entity removed since still shows the payouts it made).
        let listed: Bool
        let sends: SparklineSVG
        let sendsText: String
        let latency: SparklineSVG
        let latencyText: String
    }

    /// `entities` in merchants.d order, then any other entity with payouts in the hour.
    /// Both charts share the database's minutes, so their bars and points line up.
    static func lastHour(entities: [(name: String, mchID: String)], sends: SendsPerMinute, latency: UpstreamLatencyWindow) -> LastHour {
        let window = sends.window
        let span = "\(clock(window.lowerBound))–\(clock(window.upperBound)) UTC"
        func row(name: String, mchID: String?) -> EntityHour {
            let who = name + (mchID.map { " (mch_id \($0))" } ?? "")
            let counts = sends.series(name)
            let sendsText = sendsFigures(counts, window: window)
            let calls = mchID.map { latency.series(mchID: $0, window: window) } ?? window.map { _ in nil }
            let latencyText = mchID == nil ? "No mch_id to find its calls by: the entity is not in merchants.d." : latencyFigures(calls, window: window)
            return EntityHour(
                name: name, mchID: mchID ?? "", listed: mchID != nil,
                sends: SparklineSVG(counts.map { Double($0) },
                                    labels: zip(window, counts).map { "\(clock($0)) UTC: \($1) payout\($1 == 1 ? "" : "s")" },
                                    title: "\(who): payouts per minute, \(span). \(sendsText)", style: .bars),
                sendsText: sendsText,
                latency: SparklineSVG(calls.map { $0?.p99Milliseconds },
                                      labels: zip(window, calls).map { minute, call in
                                          call.map { "\(clock(minute)) UTC: p99 \(milliseconds($0.p99Milliseconds)) over \($0.calls) call\($0.calls == 1 ? "" : "s")" }
                                              ?? "\(clock(minute)) UTC: no call"
                                      },
                                      title: "\(who): p99 of this instance's calls to WeChat per minute, \(span). \(latencyText)", style: .line),
                latencyText: latencyText)
        }
        let listed = Set(entities.map(\.name))
        let rows = entities.map { row(name: $0.name, mchID: $0.mchID) }
            + sends.counts.keys.filter { !listed.contains($0) }.sorted().map { row(name: $0, mchID: nil) }
        let since = UpstreamLatencyWindow.minute(of: latency.since)
        return LastHour(from: clock(window.lowerBound), to: clock(window.upperBound),
                        latencySince: since > window.lowerBound ? latency.since.formatted(.iso8601) : nil, rows: rows)
    }

    /// "this minute 3 · peak 12/min at 10:17 UTC · 57 in the hour", or why the chart is empty.
    static func sendsFigures(_ counts: [Int64], window: ClosedRange<Int64>) -> String {
        let total = counts.reduce(0, +)
        guard total > 0, let peak = counts.max(), let at = counts.lastIndex(of: peak) else { return "No payouts in the last hour." }
        return "this minute \(counts.last ?? 0) · peak \(peak)/min at \(clock(window.lowerBound + Int64(at))) UTC · \(total) in the hour"
    }

    /// "latest 84 ms at 10:41 UTC · peak 310 ms at 10:17 UTC · 1234 calls in the hour", or why the chart is empty.
    static func latencyFigures(_ minutes: [UpstreamLatencyWindow.Minute?], window: ClosedRange<Int64>) -> String {
        let called = minutes.enumerated().compactMap { i, m in m.map { (minute: window.lowerBound + Int64(i), call: $0) } }
        guard let latest = called.last, let peak = called.max(by: { $0.call.p99Milliseconds <= $1.call.p99Milliseconds }) else {
            return "No call to WeChat from this instance in the last hour."
        }
        let calls = called.reduce(0) { $0 + $1.call.calls }
        return "latest \(milliseconds(latest.call.p99Milliseconds)) at \(clock(latest.minute)) UTC · peak \(milliseconds(peak.call.p99Milliseconds)) "
            + "at \(clock(peak.minute)) UTC · \(calls) call\(calls == 1 ? "" : "s") in the hour"
    }

    /// A minute since 1970 as its UTC time of day, "10:42".
    static func clock(_ minute: Int64) -> String {
        let m = Int(((minute % 1440) + 1440) % 1440)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return two(m / 60) + ":" + two(m % 60)
    }

    static func milliseconds(_ ms: Double) -> String {
        ms < 10 ? String(format: "%.1f ms", ms) : ms < 1000 ? "\(Int(ms.rounded())) ms" : String(format: "%.2f s", ms / 1000)
    }
}
