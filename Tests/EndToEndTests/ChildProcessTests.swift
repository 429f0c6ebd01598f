import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// How tests start programs (`ChildProcess`): what a child inherits and how its end reads.
@Suite("Test children")
struct ChildProcessTests {
    @Test("a child gets none of the test process's descriptors (a socket left open without close-on-exec included)")
    func descriptorsAreClosed() async throws {
        let leaky = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) // deliberately without SOCK_CLOEXEC
        try #require(leaky > 2)
        defer { close(leaky) }
        let run = try await Shell.run(["/bin/sh", "-c", "if [ -e /proc/self/fd/\(leaky) ]; then echo open; else echo closed; fi"])
        #expect(run.status == 0 && run.output == "closed", "fd \(leaky) in the child: \(run.output)")
    }

    @Test("an exit code reads as itself; a death by a signal as minus the signal")
    func statuses() async throws {
        let exited = try ChildProcess(["/bin/sh", "-c", "exit 130"], environment: [:])
        #expect(try await exited.exit(within: .seconds(30)) == 130)
        let killed = try ChildProcess(["/bin/sh", "-c", "kill -INT $$; sleep 5"], environment: [:])
        #expect(try await killed.exit(within: .seconds(30)) == -SIGINT)
    }
}
