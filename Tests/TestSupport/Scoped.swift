import Foundation
import Simulator
import Transport

/// Something a test starts and must have stopped before the test ends: `stop()` returns
/// once it has.
public protocol Stoppable: Sendable {
    func stop() async
}

extension Stoppable {
    /// `self` for the length of `body`, then stopped — awaited, after a throw as after a
    /// return — so nothing a test started outlives it or is still stopping under the next.
    public func scoped<T>(isolation: isolated (any Actor)? = #isolation, _ body: (Self) async throws -> T) async throws -> T {
        let value: T
        do {
            value = try await body(self)
        } catch {
            await stop()
            throw error
        }
        await stop()
        return value
    }
}

extension SimulatorHarness: Stoppable {
    /// A simulator for the length of `body`, stopped after it whatever it did.
    public static func with<T>(stateDirectory: URL? = nil, settings: TransportSettings = TransportSettings(), journal: JournalSettings = JournalSettings(),
                               isolation: isolated (any Actor)? = #isolation, _ body: (SimulatorHarness) async throws -> T) async throws -> T {
        try await start(stateDirectory: stateDirectory, settings: settings, journal: journal).scoped(body)
    }
}

extension GatewayHarness: Stoppable {}
