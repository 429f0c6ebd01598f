import Foundation
import Testing
import TestSupport

/// CLI conventions, checked over the whole command tree as `--help` shows it: every
/// command has an example, the exit codes are documented, completion scripts generate.
@Suite("hongbao --help everywhere")
struct CLIHelpTests {
    /// Every command path, found by following SUBCOMMANDS in the help text.
    static func commands() async throws -> [[String]] {
        var found: [[String]] = []
        var queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            found.append(path)
            let help = try await Hongbao.run(path + ["--help"]).out
            guard let section = help.range(of: "SUBCOMMANDS:\n") else { continue }
            for line in help[section.upperBound...].split(separator: "\n") {
                // "  name   abstract" (two spaces, then the name); continuation lines are indented further.
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
                let command = String(name)
                if command == "See" || command == "help" { continue }
                queue.append(path + [command])
            }
        }
        return found
    }

    @Test("every command's --help shows an example")
    func examples() async throws {
        let all = try await Self.commands()
        #expect(all.count >= 40, "the tree was walked: \(all.map { $0.joined(separator: " ") })")
        for path in all {
            let help = try await Hongbao.run(path + ["--help"])
            #expect(help.status == 0 && help.out.range(of: "Example", options: .caseInsensitive) != nil,
                    "hongbao \(path.joined(separator: " ")) --help has no example")
        }
    }

    @Test("the root help documents exit codes and completion; completion scripts generate for bash, zsh and fish")
    func exitCodesAndCompletion() async throws {
        // Help text is wrapped at the terminal width: compare with single spaces.
        let root = try await Hongbao.run(["--help"]).out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(root.contains("Exit codes: 0 done; 1 an error") && root.contains("64 a usage error") && root.contains("--generate-completion-script bash"))
        for shell in ["bash", "zsh", "fish"] {
            let script = try await Hongbao.run(["--generate-completion-script", shell])
            #expect(script.status == 0 && script.out.contains("payouts") && script.out.contains("webhook"), "\(shell)")
        }
        let usage = try await Hongbao.run(["tenant", "show"])
        #expect(usage.status == 64 && usage.err.contains("Missing expected argument"))
    }
}
