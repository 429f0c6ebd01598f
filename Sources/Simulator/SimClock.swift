import Foundation
import Synchronization

/// The sim clock: real time plus an offset that the control API only ever moves forward.
/// Tests may freeze it (`POST /_sim/clock {"freeze": true}`) so that what they observe
/// does not depend on how fast a loaded machine runs: while frozen, `now` moves only by
/// `advance`; thawed, it is real time plus the offset again (so it jumps over the frozen
/// stretch: it never goes back). Freezing is not journaled: a restart runs thawed.
final class SimClock: Sendable {
    /// The offset's bit pattern (Double), so reads need no lock.
    private let offsetBits = Atomic<UInt64>(0)
    /// The frozen time's bit pattern; NaN while the clock runs.
    private let frozenBits = Atomic<UInt64>(Double.nan.bitPattern)

    var offset: Double { Double(bitPattern: offsetBits.load(ordering: .acquiring)) }
    var now: Double {
        let frozen = Double(bitPattern: frozenBits.load(ordering: .acquiring))
        return frozen.isNaN ? Date().timeIntervalSince1970 + offset : frozen
    }
    var isFrozen: Bool { !Double(bitPattern: frozenBits.load(ordering: .acquiring)).isNaN }

    /// Adds `seconds` (≥ 0) and returns the new offset.
    func advance(by seconds: Double) -> Double {
        while true {
            let old = offsetBits.load(ordering: .acquiring)
            let new = Double(bitPattern: old) + max(0, seconds)
            if offsetBits.compareExchange(expected: old, desired: new.bitPattern, ordering: .acquiringAndReleasing).exchanged {
                moveFrozen(by: max(0, seconds))
                return new
            }
        }
    }

    /// Holds `now` where it is, or lets it run again.
    func freeze(_ frozen: Bool) {
        if frozen {
            let current = Date().timeIntervalSince1970 + offset
            _ = frozenBits.compareExchange(expected: Double.nan.bitPattern, desired: current.bitPattern, ordering: .acquiringAndReleasing)
        } else {
            frozenBits.store(Double.nan.bitPattern, ordering: .releasing)
        }
    }

    private func moveFrozen(by seconds: Double) {
        while true {
            let old = frozenBits.load(ordering: .acquiring)
            let frozen = Double(bitPattern: old)
            if frozen.isNaN { return }
            if frozenBits.compareExchange(expected: old, desired: (frozen + seconds).bitPattern, ordering: .acquiringAndReleasing).exchanged { return }
        }
    }

    /// Raises the offset to at least `value` (replay: the clock never goes back).
    func raise(to value: Double) {
        while true {
            let old = offsetBits.load(ordering: .acquiring)
            guard value > Double(bitPattern: old) else { return }
            if offsetBits.compareExchange(expected: old, desired: value.bitPattern, ordering: .acquiringAndReleasing).exchanged { return }
        }
    }
}

/// Source of detail_id / send_listid / payment_no sequence numbers.
final class SimSequence: Sendable {
    private let value = Atomic<Int64>(0)
    func next() -> Int64 { value.add(1, ordering: .relaxed).newValue }
    var current: Int64 { value.load(ordering: .relaxed) }
    func raise(to n: Int64) {
        while true {
            let old = value.load(ordering: .relaxed)
            guard n > old else { return }
            if value.compareExchange(expected: old, desired: n, ordering: .relaxed).exchanged { return }
        }
    }
}
