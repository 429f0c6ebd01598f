import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput of one component (used by `make bench`).",
        discussion: """
            Each subcommand prints one JSON line with its figures, so scripts/bench.sh can \
            put them beside the baseline it measures in the same run.

            Examples:
              make bench
              hongbao bench routing
            """,
        subcommands: [PostgresBench.self, SimulatorBench.self, RoutingBench.self, GatewayBench.self, UpstreamBench.self]
    )
}

/// Runs `clients` loops of `body` for `seconds` and returns completed operations per second.
func measureThroughput(clients: Int, seconds: Double, _ body: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    let started = ContinuousClock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for client in 0..<clients {
            group.addTask {
                var done = 0
                while ContinuousClock.now < deadline {
                    try await body(client)
                    done += 1
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = ContinuousClock.now - started
    return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
