import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command (scripts/pg.sh, chromium, openssl…) to completion.
public enum Shell {
    /// Exit status (minus the signal when killed: `ChildProcess.exitStatus`) and standard output (via a file, which a daemon may keep open harmlessly);
    /// `environment` is merged over this process's. Waits on a thread of its own
    /// (`Blocking`): a command may take seconds (chromium, a database restart), and two such
    /// waits on the cooperative pool (two threads here) stall every in-process server of
    /// the test run.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await Blocking.run { try runNow(arguments, environment: environment) }
    }

    /// The same, waiting on the calling thread: for a short cleanup in a `defer`.
    public static func runNow(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("sh-\(UUID()).out").path
        defer { unlink(outputPath) }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let child = try ChildProcess(arguments, environment: merged, stdout: .file(outputPath), stderr: .inherit)
        let status = child.waitUntilExit()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status, output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
