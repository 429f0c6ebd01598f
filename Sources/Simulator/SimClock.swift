import Foundation
import Synchronization

/// The sim clock: real time plus an offset that the control API only ever moves forward.
final class SimClock: Sendable {
    /// The offset's bit pattern (Double), so reads need no lock.
    private let offsetBits = Atomic<UInt64>(0)

    var offset: Double { Double(bitPattern: offsetBits.load(ordering: .acquiring)) }
    var now: Double { Date().timeIntervalSince1970 + offset }

    /// Adds `seconds` (≥ 0) and returns the new offset.
    func advance(by seconds: Double) -> Double {
        while true {
            let old = offsetBits.load(ordering: .acquiring)
            let new = Double(bitPattern: old) + max(0, seconds)
            if offsetBits.compareExchange(expected: old, desired: new.bitPattern, ordering: .acquiringAndReleasing).exchanged { return new }
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
