import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// LISTEN on one or more channels, on a connection and thread of its own.
/// Events arrive on `events`: `.listening` each time the connection is (re)established
/// and LISTEN is in force, then `.notification`s. Notifications sent while it was away
/// are lost, so a consumer compares what it cares about after every `.listening` and
/// also polls slowly — NOTIFY is a wake-up, never the only record.
public final class PostgresListener: Sendable {
    public enum Event: Sendable, Equatable {
        /// Connected (first time or again) and listening: anything may have been missed before.
        case listening
        case notification(PostgresNotification)
    }

    public let events: AsyncStream<Event>
    private let stopFlag: StopFlag

    /// Only the notifications (for consumers that poll anyway).
    public var notifications: AsyncCompactMapSequence<AsyncStream<Event>, PostgresNotification> {
        events.compactMap { if case .notification(let n) = $0 { n } else { nil } }
    }

    public init(configuration: PostgresConfiguration, channels: [String], logger: Logger = Logger(label: "hongbao.postgres.listener")) {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        self.events = stream
        let stopFlag = StopFlag()
        self.stopFlag = stopFlag
        let statements = channels.map { "LISTEN \(Self.quoteIdentifier($0))" }
        var listening = configuration.forListening
        listening.applicationName += "-listen" // tells its backend apart in pg_stat_activity
        let configuration = listening
        let thread = Thread {
            var connection: PostgresConnection?
            while !stopFlag.isSet {
                do {
                    if connection == nil {
                        let fresh = try PostgresConnection(configuration: configuration)
                        for statement in statements { try fresh.simple(statement) }
                        connection = fresh
                        continuation.yield(.listening)
                    }
                    guard let live = connection else { continue }
                    var descriptor = pollfd(fd: live.socket, events: Int16(POLLIN), revents: 0)
                    if poll(&descriptor, 1, 200) > 0 {
                        for notification in try live.drainNotifications() { continuation.yield(.notification(notification)) }
                    }
                } catch {
                    logger.warning("listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
                    connection = nil
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
            continuation.finish()
        }
        thread.name = "hongbao-pg-listen"
        thread.start()
    }

    /// Stops listening; `notifications` finishes.
    public func stop() { stopFlag.set() }

    deinit { stop() }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A flag one thread sets and another polls.
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
