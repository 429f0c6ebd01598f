import Foundation
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// HTTPSClient lifecycle scenarios that once freed the curl multi handle under a pending
/// wakeup. Plain Swift (no test framework), so `scripts/asan-transport.sh` can also run
/// them in an AddressSanitizer build of the Transport module; `ClientLifecycleTests` runs
/// them in the normal suite. Each throws `ScenarioFailure` when an outcome is wrong.
/// Their short sleeps are the scenarios themselves: each stages one interleaving (calls in
/// flight, a loop that has cleaned up) that the client has no event to wait for.
public enum ClientLifecycleScenarios {
    public struct ScenarioFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Every scenario by name.
    public static let all: [(name: String, run: @Sendable () async throws -> Void)] = [
        ("shutdown twice", shutdownTwice),
        ("call after shutdown is notSent", callAfterShutdown),
        ("cancel after shutdown", cancelAfterShutdown),
        ("deinit after shutdown", deinitAfterShutdown),
        ("calls in flight at shutdown end notSent", inFlightAtShutdown),
        ("many clients created and dropped", manyClients),
        ("a stopped client writes to no descriptor", noWakeupAfterCleanup),
    ]

    static func shutdownTwice() async throws {
        let client = HTTPSClient()
        client.shutdown()
        client.shutdown()
    }

    static func callAfterShutdown() async throws {
        let client = HTTPSClient()
        client.shutdown()
        try await Task.sleep(for: .milliseconds(20)) // let the loop clean up its handle
        let outcome = await client.post("https://127.0.0.1:1/x", body: [1], identity: nil)
        guard case .notSent = outcome else { throw ScenarioFailure(description: "expected notSent after shutdown, got \(outcome)") }
    }

    static func cancelAfterShutdown() async throws {
        let (listener, port) = try silentListener()
        defer { close(listener) }
        let client = HTTPSClient(settings: TransportSettings(connectTimeout: .seconds(5), totalTimeout: .seconds(5)))
        let task = Task { await client.post("https://127.0.0.1:\(port)/x", body: [1], identity: nil) }
        try await Task.sleep(for: .milliseconds(50)) // the call is in flight
        client.shutdown()
        try await Task.sleep(for: .milliseconds(50)) // the loop has cleaned up by now
        task.cancel()                                // cancel reaches a stopped loop
        let outcome = await task.value
        guard case .notSent = outcome else { throw ScenarioFailure(description: "expected notSent, got \(outcome)") }
    }

    static func deinitAfterShutdown() async throws {
        var client: HTTPSClient? = HTTPSClient()
        client?.shutdown()
        try await Task.sleep(for: .milliseconds(20)) // the loop has cleaned up
        client = nil // deinit stops again
        _ = client
    }

    static func inFlightAtShutdown() async throws {
        let (listener, port) = try silentListener()
        defer { close(listener) }
        let client = HTTPSClient(settings: TransportSettings(connectTimeout: .seconds(5), totalTimeout: .seconds(5)))
        let outcomes = await withTaskGroup(of: TransportOutcome.self) { group in
            for _ in 0..<16 { group.addTask { await client.post("https://127.0.0.1:\(port)/x", body: [1], identity: nil) } }
            try? await Task.sleep(for: .milliseconds(100)) // the calls are in flight
            client.shutdown()
            return await group.reduce(into: [TransportOutcome]()) { $0.append($1) }
        }
        // The server never completed TLS, so no request byte was written.
        guard outcomes.count == 16, outcomes.allSatisfy({ if case .notSent = $0 { true } else { false } }) else {
            throw ScenarioFailure(description: "expected 16 notSent, got \(outcomes)")
        }
    }

    static func manyClients() async throws {
        for round in 0..<200 {
            let client = HTTPSClient()
            if round % 2 == 0 { client.shutdown() }
            if round % 3 == 0 {
                // A call racing the client's end.
                async let outcome = client.post("https://127.0.0.1:1/x", body: [1], identity: nil)
                client.shutdown()
                guard case .notSent = await outcome else { throw ScenarioFailure(description: "a refused call must be notSent") }
            }
        }
    }

    /// The loop's wakeup descriptors close with its multi handle; their numbers are then
    /// reused by the next sockets opened. A wakeup after cleanup would write a byte into
    /// whichever socket got the number — these socket pairs catch it.
    static func noWakeupAfterCleanup() async throws {
        for _ in 0..<20 {
            let client = HTTPSClient()
            client.shutdown()
            try await Task.sleep(for: .milliseconds(20)) // the loop has cleaned up, its descriptors free
            var pairs: [[Int32]] = []
            for _ in 0..<8 {
                var fds: [Int32] = [0, 0]
                guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw ScenarioFailure(description: "socketpair failed") }
                pairs.append(fds)
            }
            defer { pairs.joined().forEach { close($0) } }
            client.shutdown()
            let readable = pairs.joined().filter { fd in
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                return poll(&descriptor, 1, 0) > 0
            }
            guard readable.isEmpty else { throw ScenarioFailure(description: "a stopped client wrote into reused descriptors \(readable)") }
        }
    }

    /// A TCP socket that is listening (so connects succeed) but never reads or answers.
    public static func silentListener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 64) == 0 else { throw ScenarioFailure(description: "could not listen") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
