import Foundation
import Testing
import TestSupport

/// What `hongbao simulator --help` promises operators.
@Suite("Simulator help")
struct SimulatorHelpTests {
    @Test("--help states what a crash can lose, the durability flags, and the paginated ledger and its summary")
    func help() async throws {
        let binary = Repository.root.appendingPathComponent(".build/debug/hongbao")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw TestSetupError("build the hongbao binary first (make test does)") }
        let run = try await Shell.run([binary.path, "simulator", "--help"])
        #expect(run.status == 0)
        // Help text is wrapped to the terminal: compare with whitespace runs folded to one space.
        let text = run.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for promise in ["loses at most", "the last batch", "--strict-durability", "--journal-batch-ms", "/_sim/ledger?kind=packets|transfers",
                        "next_cursor", "/_sim/ledger/summary", "transfer_refunded_fen", "/_sim/transfers/{mch_id}/{partner_trade_no}/fail",
                        "/_sim/users/{openid}", "30-day"] {
            #expect(text.contains(promise), "\(promise)")
        }
    }
}
