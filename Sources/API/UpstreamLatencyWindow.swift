import Foundation
import Synchronization

/// The last hour of this instance's WeChat call latencies, per merchant number (mch_id) and
/// minute, in memory — what the status page's p99 charts read. Per instance: PostgreSQL's
/// `payout_attempts` has call times too, but no index on time, so a p99 from it would sort
/// the hour's calls on every refresh.
///
/// Each minute is a histogram of log-spaced buckets (eight per doubling, from 1 ms to
/// 131 s), so any minute's p99 is known to within one bucket (9 %, rounded up) in fixed
/// memory — 60 × 137 counters per mch_id — however many calls there were.
public final class UpstreamLatencyWindow: Sendable {
    public static let minutes = 60
    /// Buckets per doubling of the latency: each bucket's bound is 2^(1/8) ≈ 1.09 × the previous.
    static let perDoubling = 8.0
    /// Bucket i holds (2^((i-1)/8), 2^(i/8)] ms; bucket 0 everything up to 1 ms, the last
    /// everything above 2^17 ms ≈ 131 s (past the longest transport timeout, 120 s).
    static let buckets = 137

    /// When this instance began counting: an hour that started earlier is only partly here.
    public let since: Date
    private let rings = Mutex<[String: Ring]>([:])

    public init(since: Date = Date()) { self.since = since }

    /// One mch_id's last 60 minutes: slot `minute % 60` holds that minute's histogram,
    /// cleared when a later minute takes the slot.
    struct Ring {
        var minuteOf = [Int64](repeating: .min, count: UpstreamLatencyWindow.minutes)
        var counts = [UInt32](repeating: 0, count: UpstreamLatencyWindow.minutes * UpstreamLatencyWindow.buckets)
        var newest: Int64 = .min
    }

    /// One minute's calls: how many, and their 99th percentile (the bound of its bucket).
    public struct Minute: Sendable, Equatable {
        public let calls: Int
        public let p99Milliseconds: Double
    }

    static func minute(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }

    static func bucket(_ duration: Duration) -> Int {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        guard ms > 1 else { return 0 }
        return min(buckets - 1, Int((log2(ms) * perDoubling).rounded(.up)))
    }

    /// The upper bound of bucket `i` in milliseconds.
    static func bound(_ i: Int) -> Double { pow(2, Double(i) / perDoubling) }

    /// Counts one call to WeChat under `mchID` that took `duration`, in the minute of `at`.
    public func record(mchID: String, duration: Duration, at: Date = Date()) {
        let minute = Self.minute(of: at), bucket = Self.bucket(duration)
        let slot = Int(((minute % Int64(Self.minutes)) + Int64(Self.minutes)) % Int64(Self.minutes))
        rings.withLock { all in
            if all[mchID] == nil {
                // A merchant number no longer called (removed from merchants.d) is forgotten after an hour.
                all = all.filter { $0.value.newest > minute - Int64(Self.minutes) }
            }
            all[mchID, default: Ring()].add(minute: minute, slot: slot, bucket: bucket)
        }
    }

    /// `mchID`'s minutes `window` (oldest first): nil where this instance made no call.
    public func series(mchID: String, window: ClosedRange<Int64>) -> [Minute?] {
        let counts: [[UInt32]?] = rings.withLock { all in
            guard let ring = all[mchID] else { return window.map { _ in nil } }
            return window.map { minute in
                let slot = Int(((minute % Int64(Self.minutes)) + Int64(Self.minutes)) % Int64(Self.minutes))
                guard ring.minuteOf[slot] == minute else { return nil }
                return Array(ring.counts[(slot * Self.buckets)..<((slot + 1) * Self.buckets)])
            }
        }
        return counts.map { $0.flatMap(Self.summary) }
    }

    /// A minute's call count and p99 from its histogram; nil when it has no call.
    static func summary(_ histogram: [UInt32]) -> Minute? {
        let total = histogram.reduce(0) { $0 + Int($1) }
        guard total > 0 else { return nil }
        // The smallest bucket bound that at least 99 % of the calls are within.
        let rank = Int((Double(total) * 0.99).rounded(.up))
        var seen = 0
        for (i, n) in histogram.enumerated() {
            seen += Int(n)
            if seen >= rank { return Minute(calls: total, p99Milliseconds: bound(i)) }
        }
        return Minute(calls: total, p99Milliseconds: bound(buckets - 1))
    }
}

extension UpstreamLatencyWindow.Ring {
    mutating func add(minute: Int64, slot: Int, bucket: Int) {
        let base = slot * UpstreamLatencyWindow.buckets
        if minuteOf[slot] != minute {
            // A call from an older minute than the slot holds (a clock step back) is dropped.
            guard minuteOf[slot] < minute else { return }
            minuteOf[slot] = minute
            for i in base..<(base + UpstreamLatencyWindow.buckets) { counts[i] = 0 }
        }
        if counts[base + bucket] < .max { counts[base + bucket] += 1 }
        newest = max(newest, minute)
    }
}
