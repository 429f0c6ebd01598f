import Synchronization

/// Whether the batch may start more lines: a Ctrl-C or a batch-wide failure stops new
/// lines and retries, never a request already in flight (its answer is worth having).
final class BatchControl: Sendable {
    private struct State {
        var interrupted = false
        var stop: BatchStop?
    }

    private let state = Mutex(State())

    var shouldStop: Bool { state.withLock { $0.interrupted || $0.stop != nil } }
    var interrupted: Bool { state.withLock { $0.interrupted } }
    var stopReason: BatchStop? { state.withLock { $0.stop } }

    /// True the first time.
    func interrupt() -> Bool {
        state.withLock { state in
            defer { state.interrupted = true }
            return !state.interrupted
        }
    }

    /// The first reason wins; true if this one did.
    @discardableResult
    func stop(_ reason: BatchStop) -> Bool {
        state.withLock { state in
            guard state.stop == nil else { return false }
            state.stop = reason
            return true
        }
    }

    /// Waits `delay` unless the batch stops first; false if it did.
    func pause(_ delay: Duration) async -> Bool {
        let end = ContinuousClock.now + delay
        while ContinuousClock.now < end {
            if shouldStop { return false }
            try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
        }
        return !shouldStop
    }
}
