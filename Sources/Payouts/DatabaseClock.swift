import Foundation

/// The clock every due, lease and grace comparison is made on: the database's `now()`,
/// one clock for every gateway instance (an instance's own clock may be off, and a lease
/// written on one clock and checked on another protects nothing). `ahead` makes it read
/// later: tests and drills use it to reach a backoff, WeChat's 24-hour refund or its
/// 30-day window without waiting. Production runs with 0, where the SQL is plain `now()`.
public struct DatabaseClock: Sendable, Equatable {
    /// Seconds this clock reads ahead of the database's.
    public let ahead: Int

    public init(ahead: Int = 0) {
        self.ahead = ahead
    }

    /// The database's clock itself.
    public static let database = DatabaseClock()

    /// SQL for "now" on this clock. `ahead` is this value's own integer, never input.
    var now: String { ahead == 0 ? "now()" : "(now() + interval '\(ahead) seconds')" }

    /// SQL for now plus the seconds in parameter `$n` (a double; NULL stays NULL).
    func plus(seconds parameter: Int) -> String { "(\(now) + make_interval(secs => $\(parameter)::float8))" }
}

/// A time read from the database's clock (`DatabaseClock`), carried forward on this
/// process's monotonic clock so later decisions in the same look need no round trip.
struct DatabaseTime: Sendable {
    let read: Date
    let at: ContinuousClock.Instant

    init(_ read: Date, at: ContinuousClock.Instant = .now) {
        self.read = read
        self.at = at
    }

    /// The database's time now, as far as this process can tell without asking.
    var now: Date {
        let elapsed = ContinuousClock.now - at
        return read.addingTimeInterval(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
