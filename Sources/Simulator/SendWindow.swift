/// Sends in the last 60 seconds, for the per-minute limit (FREQ_LIMIT): 60 one-second
/// buckets, so memory and cost stay the same at any rate.
struct SendWindow: Sendable {
    private var buckets = [Int](repeating: 0, count: 60)
    private var seconds = [Int](repeating: .min, count: 60)

    func count(at now: Double) -> Int {
        let second = Int(now.rounded(.down))
        var total = 0
        for i in 0..<60 where seconds[i] > second - 60 { total += buckets[i] }
        return total
    }

    mutating func record(_ now: Double) {
        let second = Int(now.rounded(.down))
        let slot = ((second % 60) + 60) % 60
        if seconds[slot] != second {
            seconds[slot] = second
            buckets[slot] = 0
        }
        buckets[slot] += 1
    }
}
