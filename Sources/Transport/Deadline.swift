import Synchronization

/// Waits for a task's value, but no longer than a deadline. (A task group cannot do this:
/// it waits for all its children, and a child awaiting another task's value does not
/// stop when cancelled.)
public enum Deadline {
    /// The task's result, or nil when `deadline` came first. The task itself goes on.
    public static func value<T: Sendable>(of task: Task<T, Error>, before deadline: ContinuousClock.Instant) async -> Result<T, Error>? {
        let once = Once()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, Error>?, Never>) in
            let timer = Task {
                try? await Task.sleep(until: deadline)
                if once.claim() { continuation.resume(returning: nil) }
            }
            Task {
                let result = await task.result
                if once.claim() {
                    timer.cancel()
                    continuation.resume(returning: result)
                }
            }
        }
    }

    /// True for the first caller only.
    final class Once: Sendable {
        private let taken = Atomic<Bool>(false)
        func claim() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
    }
}
