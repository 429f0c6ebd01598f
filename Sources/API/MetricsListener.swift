import Hummingbird
import Logging
import ServiceLifecycle

/// The second listener `serve` runs, for /metrics only (issue 15: metrics name entities,
/// volumes and upstream error codes, so they are not on the tenant API's port). Loopback
/// by default; an operator who scrapes from another host says `--metrics-host`.
///
/// A metrics port that cannot be bound (another instance on this host took the default)
/// is logged as an error and the gateway goes on serving payments without metrics: money
/// does not wait for monitoring. `/readyz` is unaffected; the log says which port.
public struct MetricsListener: Service {
    public struct Address: Sendable, Equatable {
        public var host: String
        public var port: Int
        public static let defaultPort = 9464

        public init(host: String = "127.0.0.1", port: Int = Self.defaultPort) {
            self.host = host
            self.port = port
        }
    }

    let address: Address
    let dependencies: GatewayDependencies
    let logger: Logger

    public func run() async throws {
        let app = Application(router: buildMetricsRouter(dependencies: dependencies), configuration: .init(address: .hostname(address.host, port: address.port), serverName: "hongbao"),
                              logger: logger)
        do {
            try await app.run()
        } catch {
            logger.error("metrics listener cannot serve; the gateway goes on without /metrics (set --metrics-port)",
                         metadata: ["address": "\(address.host):\(address.port)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
