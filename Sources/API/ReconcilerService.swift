import Payouts
import Logging
import ServiceLifecycle
import Synchronization

/// Runs the reconciler inside `serve` until graceful shutdown; the pass in progress
/// finishes first (its upstream calls and their transactions are not cut short).
public struct ReconcilerService: Service {
    let reconciler: Reconciler

    public init(reconciler: Reconciler) { self.reconciler = reconciler }

    public func run() async throws {
        let stopping = Atomic<Bool>(false)
        await withGracefulShutdownHandler {
            await reconciler.run(stopping: { stopping.load(ordering: .relaxed) })
        } onGracefulShutdown: {
            stopping.store(true, ordering: .relaxed)
        }
    }
}
