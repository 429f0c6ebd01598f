import Foundation

/// Blocking work (waiting for a child process) on a thread of its own. On the cooperative
/// pool (two threads on two cores) two such waits stall every task of the test process,
/// including in-process servers a child may be calling: a deadlock that only a timeout
/// broke (seen as TLS handshake timeouts across the simulator suites).
public enum Blocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
