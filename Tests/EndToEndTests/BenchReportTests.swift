import Foundation
import Testing
import TestSupport

/// `make bench` once ended after the routing table, without the gateway's, and without an
/// error. Its report (scripts/bench/report.py) now holds the list of figures a run must
/// measure and fails the run when one is missing or not a number.
@Suite("make bench's report")
struct BenchReportTests {
    let script = Repository.root.appendingPathComponent("scripts/bench").path

    /// A figures file with every figure the report expects, each with value 1 and a baseline of 2.
    func figures(omitting omitted: String? = nil, blank: String? = nil) async throws -> URL {
        let list = try await Shell.run(["python3", "-c", "import sys; sys.path.insert(0, '\(script)'); import report; print('\\n'.join(report.expected()))"])
        #expect(list.status == 0)
        let names = list.output.split(separator: "\n").map(String.init)
        #expect(names.contains("gateway_per_s_c64") && names.contains("ledger_budget_spent_fen") && names.contains("reconciler_checks_per_s"))
        let lines = names.filter { $0 != omitted }.map { name in
            #"{"name": "\#(name)", "value": \#(name == blank ? "null" : "1"), "unit": "x", "baseline": {"name": "b", "value": 2}, "ratio": 0.5}"#
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("figures-\(UUID()).jsonl")
        try lines.joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func report(_ figures: URL) async throws -> (status: Int32, output: String, results: [String: Any]?) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID())")
        let run = try await Shell.run(["python3", script + "/report.py", figures.path, out.path])
        let data = try? Data(contentsOf: out.appendingPathComponent("results.json"))
        return (run.status, run.output, data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] })
    }

    @Test("every figure measured: exit 0, results.json with each figure and its ratio, and the chart")
    func complete() async throws {
        let run = try await report(try await figures())
        #expect(run.status == 0, "\(run.output)")
        let listed = try #require(run.results?["figures"] as? [[String: Any]])
        #expect(listed.first { $0["name"] as? String == "gateway_per_s_c32" }?["ratio"] as? Double == 0.5)
        #expect((run.results?["missing"] as? [String])?.isEmpty == true)
    }

    @Test("a figure left out, or not a number, fails the run and is named")
    func missing() async throws {
        let omitted = try await report(try await figures(omitting: "gateway_per_s_c64"))
        #expect(omitted.status == 1)
        #expect(omitted.output.contains("NOT MEASURED: gateway_per_s_c64"), "\(omitted.output)")
        let blank = try await report(try await figures(blank: "ledger_most_packets_in_60s_per_entity"))
        #expect(blank.status == 1)
        #expect(blank.output.contains("NOT MEASURED: ledger_most_packets_in_60s_per_entity"), "\(blank.output)")
    }
}
