import Foundation

/// Asks `probe` again every `interval` until it answers (non-nil) or `timeout` has passed:
/// what a test waits for (a row, a log line, a port, an exit) rather than sleeping a fixed
/// time and hoping. nil when it never answered; the caller says what that means.
public func waitFor<T>(timeout: Duration, every interval: Duration = .milliseconds(20), isolation: isolated (any Actor)? = #isolation,
                       _ probe: () async throws -> T?) async throws -> T? {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let answer = try await probe() { return answer }
        guard ContinuousClock.now < deadline else { return nil }
        try await Task.sleep(for: interval)
    }
}

/// The same for a condition: whether it came to hold within `timeout`.
public func waitFor(timeout: Duration, every interval: Duration = .milliseconds(20), isolation: isolated (any Actor)? = #isolation,
                    _ condition: () async throws -> Bool) async throws -> Bool {
    try await waitFor(timeout: timeout, every: interval) { try await condition() ? true : nil } ?? false
}

/// `probe`'s first answer within `timeout`; otherwise the test fails with a TestSetupError
/// saying what never happened.
public func eventually<T>(_ what: @autoclosure () -> String, timeout: Duration = .seconds(15), every interval: Duration = .milliseconds(20),
                          isolation: isolated (any Actor)? = #isolation, _ probe: () async throws -> T?) async throws -> T {
    guard let answer = try await waitFor(timeout: timeout, every: interval, probe) else {
        throw TestSetupError("not within \(timeout): \(what())")
    }
    return answer
}

/// The same for a condition.
public func eventually(_ what: @autoclosure () -> String, timeout: Duration = .seconds(15), every interval: Duration = .milliseconds(20),
                       isolation: isolated (any Actor)? = #isolation, _ condition: () async throws -> Bool) async throws {
    _ = try await eventually(what(), timeout: timeout, every: interval) { try await condition() ? true : nil }
}
