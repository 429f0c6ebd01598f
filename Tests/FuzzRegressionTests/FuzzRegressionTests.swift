import Foundation
import FuzzTargets
import Testing
import TestSupport

/// Every seed and every input libFuzzer ever crashed on (fuzz/<target>/seeds and
/// fuzz/<target>/regressions, kept by `make fuzz`) goes through its target again: a crash
/// here is a regression, and the process dies naming the input in the log above it.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func inputs(_ target: FuzzTarget, _ kind: String) throws -> [URL] {
        let folder = Repository.root.appendingPathComponent("fuzz/\(target.rawValue)/\(kind)")
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    @Test("each target has a seed corpus", arguments: FuzzTarget.allCases)
    func seeded(_ target: FuzzTarget) throws {
        #expect(try Self.inputs(target, "seeds").count >= 3, "fuzz/\(target.rawValue)/seeds needs seeds from the tests")
    }

    @Test("seeds and kept crashes replay without a crash", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        for file in try Self.inputs(target, "seeds") + Self.inputs(target, "regressions") {

            target.run(Array(try Data(contentsOf: file)))
        }
    }
}
