import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command and waits with waitpid. Foundation's Process.waitUntilExit can miss
/// the exit of a script that starts a daemon (scripts/pg.sh does), so tests use this.
public enum Shell {
    /// Exit status and standard output (via a file, which a daemon may keep open harmlessly).
    /// Waits on a thread of its own (`Blocking`): a command may take seconds (chromium, a
    /// database restart), and two such waits on the cooperative pool (two threads here)
    /// stall every in-process server of the test run.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await Blocking.run { try runNow(arguments, environment: environment) }
    }

    /// The same, waiting on the calling thread: for a short cleanup in a `defer`.
    public static func runNow(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("sh-\(UUID()).out").path
        defer { unlink(outputPath) }
        let pid = try spawn(arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, stdout: outputPath)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : -1, output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Starts `arguments` (looked up in PATH) with exactly `environment`, stdout into the file
    /// `stdout` (stderr too with `mergeStderr`), stdin from /dev/null; the caller waits for it.
    /// `ownProcessGroup` puts it in a new group (signal it all with kill(-pid, …)) with SIGINT
    /// and SIGTERM at their defaults: a test runner may ignore them, and a non-interactive
    /// shell cannot trap a signal ignored at entry.
    public static func spawn(_ arguments: [String], environment: [String: String], stdout: String, mergeStderr: Bool = false,
                             ownProcessGroup: Bool = false) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if mergeStderr { posix_spawn_file_actions_adddup2(&actions, 1, 2) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownProcessGroup {
            var defaults = sigset_t(), empty = sigset_t()
            sigemptyset(&defaults)
            sigaddset(&defaults, SIGINT)
            sigaddset(&defaults, SIGTERM)
            sigemptyset(&empty)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setpgroup(&attributes, 0)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw TestSetupError("cannot run \(arguments[0]): errno \(spawned)") }
        return pid
    }
}
