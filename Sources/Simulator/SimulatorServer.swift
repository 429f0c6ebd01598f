import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Where the simulator listens and keeps its state.
public struct SimulatorConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); see `SimulatorServer.ports()`.
    public var port: Int
    public var controlHost: String
    public var controlPort: Int
    public var stateDirectory: URL
    public var journal: JournalSettings

    public init(host: String = "127.0.0.1", port: Int = 9443, controlHost: String = "127.0.0.1", controlPort: Int = 9080, stateDirectory: URL,
                journal: JournalSettings = JournalSettings()) {
        self.host = host
        self.port = port
        self.controlHost = controlHost
        self.controlPort = controlPort
        self.stateDirectory = stateDirectory
        self.journal = journal
    }
}

/// The WeChat endpoints (HTTPS, client certificate required) and the control API (HTTP).
public final class SimulatorServer: Sendable {
    public let configuration: SimulatorConfiguration
    /// The CA clients must trust (also served at /_sim/ca.pem).
    public var caFile: String { store.caFile.path }
    private let ca: SimulatorCA
    private let server: SimulatorCA.Issued
    private let store: SimulatorStore
    private let faults = FaultSwitch()
    private let tally = RequestTally()
    private let bound = Mutex<(https: Int?, control: Int?)>((nil, nil))
    private let running = Mutex<ServiceGroup?>(nil)
    private let logger: Logger

    public init(configuration: SimulatorConfiguration, logger: Logger = Logger(label: "hongbao.simulator")) throws {
        self.configuration = configuration
        self.logger = logger
        self.store = SimulatorStore(directory: configuration.stateDirectory)
        (self.ca, self.server) = try store.identities()
    }

    /// Replays the state directory, then serves until the task is cancelled or a shutdown
    /// signal arrives; compacts the journal into a snapshot on the way out.
    public func run(gracefulShutdownSignals: [UnixSignal] = []) async throws {
        let directory = configuration.stateDirectory, settings = configuration.journal
        let ledger = try await OwnThread.run { try SimLedger(directory: directory, settings: settings) }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("state.json").path), ledger.books().isEmpty {
            logger.warning("state.json of an older simulator is not read: register the merchants again (hongbao simulator register)")
        }

        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(server.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(server.keyPEM.utf8), format: .pem)))
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(ca.certificatePEM.utf8), format: .pem)])
        tls.certificateVerification = .noHostnameVerification // a client certificate from our CA is required
        tls.minimumTLSVersion = .tlsv12

        let wechatRouter = Router(context: SimRequestContext.self)
        WeChatEndpoint(ledger: ledger, faults: faults, tally: tally).addRoutes(to: wechatRouter)
        let https = Application(
            router: wechatRouter, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hongbao-simulator"),
            onServerRunning: { [self] channel in self.bound.withLock { $0.https = channel.localAddress?.port } },
            logger: logger)

        let controlRouter = Router(context: BasicRequestContext.self)
        ControlAPI(ledger: ledger, ca: ca, faults: faults, tally: tally).addRoutes(to: controlRouter)
        let control = Application(
            router: controlRouter,
            configuration: .init(address: .hostname(configuration.controlHost, port: configuration.controlPort), serverName: "hongbao-simulator-control"),
            onServerRunning: { [self] channel in self.bound.withLock { $0.control = channel.localAddress?.port } },
            logger: logger)

        // Listed first, so a graceful shutdown stops it last, after the listeners.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: LedgerPersistence(ledger: ledger, logger: logger)), .init(service: https), .init(service: control)],
            gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
        running.withLock { $0 = group }
        try await group.run()
    }

    /// Stops gracefully, as a signal would: listeners close and finish the connections they
    /// accepted, then the journal is compacted. (Cancelling the serving task instead can
    /// drop a connection NIO accepted but had not handed over yet, which traps.)
    /// False when it was not running yet (cancel the serving task then).
    @discardableResult
    public func shutdown() async -> Bool {
        guard let group = running.withLock({ $0 }) else { return false }
        await group.triggerGracefulShutdown()
        return true
    }

    /// The bound ports once both listeners are up (polls briefly; nil after `timeout`).
    public func ports(timeout: Duration = .seconds(30)) async -> (https: Int, control: Int)? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if case let (https?, control?) = bound.withLock({ $0 }) { return (https, control) }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { return nil }
        }
        return nil
    }
}
