import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn and reaped with waitpid: the one way tests
/// start programs. Foundation's `Process` is not used anywhere in the tests: its `run()`
/// crashed in memcpy under parallel suites (SIGSEGV in clean-clone CI, three times), and
/// its `waitUntilExit` can miss the exit of a script that leaves a daemon (scripts/pg.sh).
///
/// Standard input is /dev/null; standard output and error go to files (or /dev/null), never
/// pipes, so a chatty child cannot block on a full pipe and a daemon holding the file open
/// cannot keep a reader waiting. Every other descriptor is closed in the child, as
/// Foundation did: a socket the test process had open at that moment (a port just probed
/// by `freePort`) once stayed bound for good in a PostgreSQL daemon started through
/// pg.sh, and the next gateway on that port failed with EADDRINUSE.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let leadsGroup: Bool
    /// `exitStatus()`'s answer once the child has been reaped.
    private let status = Mutex<Int32?>(nil)
    /// The status of a child someone else reaped (waitpid said ECHILD): unknown.
    public static let statusLost = Int32.min

    public enum Output: Sendable {
        /// This process's own (the test log).
        case inherit
        case discard
        case file(String)
        /// Standard error only: wherever standard output goes.
        case standardOutput
    }

    /// - Parameters:
    ///   - arguments: argv; the first is looked up on PATH when it has no slash.
    ///   - environment: the child's whole environment (nothing is inherited implicitly).
    ///   - processGroup: a process group of its own, as a terminal job has, so the test
    ///     can signal everything it starts.
    ///
    /// Every signal starts at its default and none is blocked, as from a shell: the spawning
    /// thread may be one that blocks signals (NIO's and Dispatch's do), a test runner may
    /// ignore SIGINT, and a non-interactive shell cannot trap a signal ignored at entry.
    public init(_ arguments: [String], environment: [String: String], directory: String? = nil,
                stdout: Output = .discard, stderr: Output = .discard, processGroup: Bool = false) throws {
        precondition(!arguments.isEmpty, "a child needs a program")
        // Swift's Glibc does not import posix_spawn_file_actions_addchdir_np: a shell changes
        // directory and then becomes the program.
        let arguments = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + arguments } ?? arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        Self.redirect(&actions, 1, stdout)
        Self.redirect(&actions, 2, stderr)
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if processGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw TestSetupError("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        self.pid = pid
        leadsGroup = processGroup
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module
    /// does not import: looked up once; nil where the C library lacks it.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }

    private static func redirect(_ actions: inout posix_spawn_file_actions_t, _ fd: Int32, _ output: Output) {
        switch output {
        case .inherit: break
        case .discard: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
        case .file(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, fd)
        }
    }

    /// Once it has ended: its exit code, or minus the signal that killed it (as Python's
    /// subprocess says it), so `exit(130)` after a handled SIGINT and death by SIGINT (-2)
    /// differ; `statusLost` if something else reaped it. nil while it runs.
    public func exitStatus() -> Int32? {
        status.withLock { known in
            if let known { return known }
            var raw: Int32 = 0
            var reaped = waitpid(pid, &raw, WNOHANG)
            while reaped == -1 && errno == EINTR { reaped = waitpid(pid, &raw, WNOHANG) }
            if reaped == 0 { return nil }
            known = reaped == pid ? ((raw & 0x7f) == 0 ? (raw >> 8) & 0xff : -(raw & 0x7f)) : Self.statusLost
            return known
        }
    }

    public var isRunning: Bool { exitStatus() == nil }

    public func signal(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// A signal to its whole process group (it must have been started with one).
    public func signalGroup(_ signal: Int32) { kill(-pid, signal) }

    /// Blocks this thread until it ends; for threads of their own (`Blocking`), never the
    /// cooperative pool.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        while true {
            if let status = exitStatus() { return status }
            usleep(5_000)
        }
    }

    /// Waits without blocking a thread; nil if it is still running after `timeout`.
    public func exit(within timeout: Duration) async throws -> Int32? {
        try await waitFor(timeout: timeout) { exitStatus() }
    }

    /// A child left running by a failed test is killed (with its group), not leaked.
    deinit {
        if status.withLock({ $0 }) == nil {
            kill(leadsGroup ? -pid : pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
    }
}
