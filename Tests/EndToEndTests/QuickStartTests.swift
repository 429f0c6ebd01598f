import Foundation
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The README's quick start, run as a newcomer runs it, so it cannot rot: `make run`'s
/// script on a copy of the project (its own cluster and simulator state, free ports), then
/// the README's quick-start block verbatim but for the ports, then Ctrl-C, then a second
/// `make run` that must reuse the key and the data.
@Suite("README quick start", .serialized)
struct QuickStartTests {
    @Test("make run, then the README's lines: a red packet sent, read back, opened and received; Ctrl-C stops all; a second run keeps the key and the data")
    func quickStart() async throws {
        let project = try QuickStartCopy()
        defer { project.destroy() }

        let first = try await project.run()
        defer { first.kill() }
        let key = try String(contentsOf: project.root.appendingPathComponent(".hongbao/demo-api-key"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("hb_test_"))
        #expect(first.output.contains("shown this once") && first.output.contains(key), "the first run shows the new key")

        let lines = try await project.readmeBlock()
        let received = try #require(lines.firstIndex(of: "received"), "\(lines.prefix(40))")
        #expect(received > 0 && lines[received - 1] == "sent", "\(lines.prefix(40))")
        #expect(lines.contains { $0.contains("\"billno\"") }, "the send's answer is printed")
        // The batch: 1,000 lines, each with a payout, none failed; the tenant's usage counts them all.
        let results = try String(contentsOf: project.root.appendingPathComponent("winners.txt.results.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst()
        #expect(results.count == 1000 && results.allSatisfy { $0.contains(",sent,") || $0.contains(",sending,") }, "\(results.prefix(3))")
        #expect(lines.last.flatMap { Int($0) }.map { $0 >= 1 } == true, "the dashboard's search finds the packet: \(lines.suffix(3))")
        let dashboard = try await project.shell("curl -s http://127.0.0.1:\(project.gatewayPort)/admin -H \"Authorization: Bearer $(cat .hongbao/admin-token)\"")
        #expect(dashboard.contains("Sends today: 1001 payouts, 100100 fen"), "today's 1,001 sends are on the dashboard")
        // The example provider's three sub-merchants are registered, eligible and take a share of the batch beside the direct merchant.
        #expect(first.output.contains("registered provider 1900000400 with sub-merchants sp-shop-a, sp-shop-b, sp-shop-c"), "\(first.output.prefix(2000))")
        let subs = try await project.shell("curl -s 'http://127.0.0.1:\(project.controlPort)/_sim/ledger?kind=packets&limit=1000&mch_id=1900000400' | jq -r '[.packets[].sub_mch_id] | unique | join(\",\")'")
        #expect(subs == "1900000401,1900000402,1900000403", "\(subs)")
        let usage = try await project.shell("curl -s http://127.0.0.1:\(project.gatewayPort)/v1/usage -H \"Authorization: Bearer $(cat .hongbao/demo-api-key)\" | jq -c '[.payouts.count, .spent_fen]'")
        #expect(usage == "[1001,100100]", "one packet and a batch of 1,000 at 100 fen")

        let stopped = try await first.interrupt()
        #expect(stopped == 130, "Ctrl-C ends make run with 130")
        #expect(!QuickStartCopy.listening(project.gatewayPort) && !QuickStartCopy.listening(project.controlPort), "nothing left listening")

        let second = try await project.run()
        defer { second.kill() }
        #expect(second.output.contains("issued by an earlier make run") && !second.output.contains(key), "the same key, not shown again")
        let listed = try await project.shell("curl -s 'http://127.0.0.1:\(project.gatewayPort)/v1/redpacks?openid=oDemoUser0000000000000000001' -H \"Authorization: Bearer $(cat .hongbao/demo-api-key)\" | jq -r '.data[].status'")
        #expect(listed == "received", "the first run's red packet is still there, received")
        _ = try await second.interrupt()
    }
}

/// A copy of what `make run` needs (scripts, merchants.d, migrations, README) in a
/// temporary folder, with the example merchants pointed at this copy's simulator port.
struct QuickStartCopy {
    let root: URL
    let gatewayPort: Int
    let simulatorPort: Int
    let controlPort: Int

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hb-quickstart-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for item in ["scripts", "merchants.d", "migrations", "README.md"] {
            try FileManager.default.copyItem(at: Repository.root.appendingPathComponent(item), to: root.appendingPathComponent(item))
        }
        gatewayPort = try Hongbao.freePort()
        simulatorPort = try Hongbao.freePort()
        controlPort = try Hongbao.freePort()
        let merchants = root.appendingPathComponent("merchants.d")
        for file in try FileManager.default.contentsOfDirectory(atPath: merchants.path) where file.hasSuffix(".toml") {
            let url = merchants.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "127.0.0.1:9443", with: "127.0.0.1:\(simulatorPort)")
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    /// `scripts/run.sh` (what `make run` runs after installing packages), up to its ready
    /// banner; in a process group of its own, like a job in a terminal.
    func run() async throws -> RunningStack {
        let log = root.appendingPathComponent("run-\(UUID().uuidString.prefix(6)).log")
        let environment = Hongbao.environment([
            "HONGBAO_PORT": String(gatewayPort), "HONGBAO_SIM_PORT": String(simulatorPort), "HONGBAO_SIM_CONTROL_PORT": String(controlPort),
            "HONGBAO_RUN_NO_BUILD": "1", "HONGBAO_BIN": Hongbao.binary.path, "HONGBAO_PG_NAME": nil,
        ])
        let stack = try RunningStack(script: "cd '\(root.path)' && exec bash scripts/run.sh", environment: environment, log: log)
        let up = try await waitFor(timeout: .seconds(180), every: .milliseconds(200)) {
            if stack.output.contains("Ctrl-C stops everything") { return true }
            if let status = stack.exitStatus() { throw TestSetupError("make run exited \(status):\n\(stack.output)") }
            return false
        }
        guard up else {
            stack.kill()
            throw TestSetupError("make run did not come up:\n\(stack.output)")
        }
        return stack
    }

    /// The README block marked `quickstart`, with this copy's ports; its output lines.
    func readmeBlock() async throws -> [String] {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let marker = readme.range(of: "<!-- quickstart"), let open = readme.range(of: "```sh\n", range: marker.upperBound..<readme.endIndex),
              let close = readme.range(of: "\n```", range: open.upperBound..<readme.endIndex) else {
            throw TestSetupError("README.md has no quickstart block")
        }
        let block = String(readme[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(gatewayPort)")
            .replacingOccurrences(of: "127.0.0.1:9080", with: "127.0.0.1:\(controlPort)")
            .replacingOccurrences(of: ".build/debug/hongbao", with: Hongbao.binary.path)
        return try await shell("set -euo pipefail\n" + block).split(separator: "\n").map(String.init)
    }

    /// Runs a bash script in the copy; its standard output (stderr passes through).
    func shell(_ script: String) async throws -> String {
        let run = try await Shell.run(["bash", "-c", "cd '\(root.path)' && " + script])
        guard run.status == 0 else { throw TestSetupError("script failed (\(run.status)): \(script)\n\(run.output)") }
        return run.output
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Stops and deletes the copy's cluster, then the copy.
    func destroy() {
        _ = try? Shell.runNow(["bash", root.appendingPathComponent("scripts/pg.sh").path, "destroy"])
        try? FileManager.default.removeItem(at: root)
    }
}

/// A `make run` in progress: bash and everything it started, in one process group,
/// with SIGINT and SIGTERM at their defaults (see `ChildProcess`).
final class RunningStack: Sendable {
    let child: ChildProcess
    let log: URL

    init(script: String, environment: [String: String], log: URL) throws {
        self.log = log
        child = try ChildProcess(["/bin/bash", "-c", script], environment: environment, stdout: .file(log.path), stderr: .standardOutput,
                                 processGroup: true)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The exit status (minus the signal when killed) once it has ended; nil while it runs.
    func exitStatus() -> Int32? { child.exitStatus() }

    /// Ctrl-C: SIGINT to the whole group, as a terminal sends it; waits up to 60 s.
    func interrupt() async throws -> Int32 {
        child.signalGroup(SIGINT)
        if let status = try await child.exit(within: .seconds(60)) { return status }
        kill()
        throw TestSetupError("make run ignored Ctrl-C for 60 s:\n\(output)")
    }

    /// SIGKILL to the group (a test that failed half-way leaves nothing running).
    func kill() {
        child.signalGroup(SIGKILL)
        _ = exitStatus()
    }
}
