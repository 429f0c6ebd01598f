import Foundation
import Synchronization

/// Limits failed admin sign-ins (a wrong token in the form or in a bearer header, a bad or
/// used sign-in link) per client address in this instance: past `perMinute` failures in the
/// last minute, that address is answered 429 with Retry-After and its token is not even
/// compared. The token is long (at least 16 characters), so this is about not letting
/// anyone hammer the endpoint, not about making guessing possible at all.
final class AdminSignInLimiter: Sendable {
    static let window: TimeInterval = 60
    let perMinute: Int
    /// Failure times by client address, each list within the last window.
    private let failures = Mutex<[String: [Date]]>([:])

    init(perMinute: Int = 10) { self.perMinute = perMinute }

    /// Seconds until `client` may try again, or nil when it may now.
    func retryAfter(_ client: String, now: Date = Date()) -> Int? {
        failures.withLock { all in
            let recent = (all[client] ?? []).filter { now.timeIntervalSince($0) < Self.window }
            all[client] = recent.isEmpty ? nil : recent
            guard recent.count >= perMinute, let oldest = recent.first else { return nil }
            return max(1, Int((Self.window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    func recordFailure(_ client: String, now: Date = Date()) {
        failures.withLock { all in
            // Forget addresses that went quiet, so the table cannot grow without bound.
            if all.count > 10_000 { all = all.filter { $0.value.contains { now.timeIntervalSince($0) < Self.window } } }
            all[client, default: []].append(now)
        }
    }
}
