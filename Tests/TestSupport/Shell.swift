import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command (scripts/pg.sh and the like) to completion.
public enum Shell {
    /// Exit status and standard output (via a file, which a daemon may keep open harmlessly).
    /// `environment` is merged over this process's.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("sh-\(UUID()).out").path
        defer { unlink(outputPath) }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let child = try ChildProcess(arguments, environment: merged, stdout: .file(outputPath), stderr: .inherit)
        let status = child.waitUntilExit()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (status > 128 ? -1 : status, output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
