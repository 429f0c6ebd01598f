import Foundation
import Payouts
import Transport
#if canImport(Glibc)
import Glibc
import Webhooks
#endif

/// The built `hongbao` binary, run as operators run it: one-shot commands and `serve`.
public enum Hongbao {
    public static var binary: URL { Repository.root.appendingPathComponent(".build/debug/hongbao") }

    public struct Run: Sendable {
        public let status: Int32
        public let out: String
        public let err: String
    }

    /// Runs a command to completion. `environment` is merged over this process's, minus
    /// the database variables (tests say which database, or none), plus the test run's
    /// HONGBAO_KEK; nil values remove.
    /// The wait happens on a thread of its own (`Blocking`): the child may be talking to a
    /// server in this process (the simulator), which needs the cooperative pool.
    public static func run(_ arguments: [String], environment: [String: String?] = [:], directory: URL? = nil) async throws -> Run {
        try await Blocking.run { try runToCompletion(arguments, environment: environment, directory: directory) }
    }

    static func runToCompletion(_ arguments: [String], environment: [String: String?], directory: URL?) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestSetupError("build the hongbao binary first (make test does)") }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("hb-run-\(UUID())").path
        let (outPath, errPath) = (base + ".out", base + ".err")
        defer { unlink(outPath); unlink(errPath) }
        let child = try ChildProcess([binary.path] + arguments, environment: Self.environment(environment), directory: directory?.path,
                                     stdout: .file(outPath), stderr: .file(errPath))
        let status = child.waitUntilExit()
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Run(status: status, out: out, err: err)
    }

    public static func environment(_ overrides: [String: String?]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["DATABASE_URL", "MIGRATE_DATABASE_URL", "HONGBAO_MERCHANTS_DIR"] + ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSERVICE"] {
            environment[key] = nil
        }
        environment[SecretSealer.environmentVariable] = TestKEK.base64
        for (key, value) in overrides { environment[key] = value }
        return environment
    }

    /// A port that was free a moment ago (bound to 0, read, closed). Another process may
    /// take it before it is used: `GatewayProcess` tries another when that happens.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw TestSetupError("no free port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A running `hongbao serve` on a free port; its stderr (JSON logs) goes to a file.
public final class GatewayProcess: Sendable {
    public let process: ChildProcess
    public let port: Int
    /// Where its /metrics listener is (a free port of its own, unless the arguments name one).
    public let metricsPort: Int
    public let logFile: URL
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var metricsURL: String { "http://127.0.0.1:\(metricsPort)/metrics" }
    private let http = HTTPSClient()

    /// Starts serve and waits for /healthz. A port taken between the probe and serve's bind
    /// (another test's process got it) is not the test's failure: another port, up to 3 times.
    public init(arguments: [String] = [], environment: [String: String?]) async throws {
        var attempt = 0
        while true {
            attempt += 1
            let port = try Hongbao.freePort()
            let named = arguments.firstIndex(of: "--metrics-port").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil }
            let metricsPort = try named ?? Hongbao.freePort()
            let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("hb-serve-\(UUID()).log")
            let process = try ChildProcess([Hongbao.binary.path, "serve", "--port", String(port)] + (named == nil ? ["--metrics-port", String(metricsPort)] : [])
                                           + arguments, environment: Hongbao.environment(environment),
                                           stdout: .file(logFile.path + ".out"), stderr: .file(logFile.path))
            switch try await Self.health(of: process, port: port, log: logFile, http: http) {
            case .up:
                (self.port, self.metricsPort, self.logFile, self.process) = (port, metricsPort, logFile, process)
                return
            case .portTaken where attempt < 3:
                continue
            case .portTaken, .exited:
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                let out = (try? String(contentsOfFile: logFile.path + ".out", encoding: .utf8)) ?? ""
                throw TestSetupError("serve exited with status \(process.exitStatus() ?? 0): \(log)\nstdout: \(out)")
            case .silent:
                process.signal(SIGKILL)
                http.shutdown()
                throw TestSetupError("serve did not come up in 30 s: \((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")")
            }
        }
    }

    enum Health { case up, portTaken, exited, silent }

    /// Up to 30 s: a loaded machine (parallel suites on 2 cores) starts slowly.
    static func health(of process: ChildProcess, port: Int, log: URL, http: HTTPSClient) async throws -> Health {
        try await waitFor(timeout: .seconds(30), every: .milliseconds(50)) { () async -> Health? in
            if case .response(200, _) = await http.get("http://127.0.0.1:\(port)/healthz") { return .up }
            guard process.exitStatus() != nil else { return nil }
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.contains("Address already in use") ? .portTaken : .exited
        } ?? .silent
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// GET a path; the status and body.
    public func get(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        guard case .response(let status, let body) = await http.get(baseURL + path) else { throw TestSetupError("GET \(path) failed") }
        return (status, body)
    }

    /// GET a whole URL (another listener of this gateway); the status and body.
    public func fetch(_ url: String) async throws -> (status: Int, body: [UInt8]) {
        guard case .response(let status, let body) = await http.get(url) else { throw TestSetupError("GET \(url) failed") }
        return (status, body)
    }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// SIGTERM, then SIGKILL if it has not exited within 30 s: a gateway that cannot shut
    /// down fails its test instead of hanging the run (its log says where it was).
    public func stop() {
        process.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        Self.kill(process, logFile: logFile)
        http.shutdown()
    }

    /// The same, for callers that go on only once it has ended.
    public func stopped() async {
        process.signal(SIGTERM)
        if (try? await process.exit(within: .seconds(30))) == nil { Self.kill(process, logFile: logFile) }
        http.shutdown()
    }

    private static func kill(_ process: ChildProcess, logFile: URL) {
        guard process.isRunning else { return }
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        FileHandle.standardError.write(Data("gateway pid \(process.pid) ignored SIGTERM for 30 s; killed. Log: \(log.suffix(2000))\n".utf8))
        process.signal(SIGKILL)
        process.waitUntilExit()
    }
}
