import Foundation
import Testing
import TestSupport

/// The shape issue 16 asks for, checked on the sources: HTTP stays in API, SQL stays in
/// the stores of the modules below it.
@Suite("Module shape")
struct ModuleShapeTests {
    static let sources = Repository.root.appendingPathComponent("Sources")

    /// Every Swift file under `folder` (relative to Sources), with its lines, minus `except`.
    static func files(_ folder: String, except: [String] = []) throws -> [(path: String, lines: [Substring])] {
        let root = sources.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { throw TestSetupError("no folder \(root.path)") }
        var found: [(String, [Substring])] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift"), !except.contains(where: { relative.hasPrefix($0) }) else { continue }
            let text = try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
            found.append(("\(folder)/\(relative)", text.split(separator: "\n", omittingEmptySubsequences: false)))
        }
        return found
    }

    /// A line that holds an SQL statement.
    static func holdsSQL(_ line: Substring) -> Bool {
        line.contains(/\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b/)
    }

    @Test("no SQL statement in API, the CLI or BatchClient: they go through the stores (benchmarks of the Postgres module itself excepted)")
    func noSQLAboveTheStores() throws {
        var offenders: [String] = []
        for (path, lines) in try Self.files("API", except: ["Generated/"]) + Self.files("hongbao", except: ["Bench/"]) + Self.files("BatchClient") {
            for (number, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                if Self.holdsSQL(line) { offenders.append("\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))") }
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    @Test("no module below API imports Hummingbird")
    func httpOnlyInAPI() throws {
        // Every Swift module but the HTTP ones (API, the simulator) and the executable: a
        // module added later is covered without editing this list.
        let modules = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
            .filter { !["API", "Simulator", "hongbao", "CCurl", "CLibPQ"].contains($0) }
        #expect(Set(["Postgres", "Transport", "WeChatPay", "Audit", "Merchants", "Tenants", "Payouts", "Operations", "Webhooks", "Assembly"])
            .isSubset(of: modules), "\(modules)")
        var offenders: [String] = []
        for module in modules {
            for (path, lines) in try Self.files(module) where lines.contains(where: { $0.hasPrefix("import Hummingbird") }) { offenders.append(path) }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }

    @Test("BatchClient is a library: no argument parser (the command maps its errors), no server")
    func batchClientIsALibrary() throws {
        var offenders: [String] = []
        for (path, lines) in try Self.files("BatchClient")
        where lines.contains(where: { $0.hasPrefix("import ArgumentParser") || $0.hasPrefix("import Hummingbird") }) {
            offenders.append(path)
        }
        #expect(offenders.isEmpty, "\(offenders)")
        let command = try Self.files("hongbao/Commands/SendBatch")
        #expect(command.map(\.path) == ["hongbao/Commands/SendBatch/SendBatchCommand.swift"], "send-batch's machinery lives in BatchClient")
    }
}
