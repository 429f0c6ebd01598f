import Foundation
import Testing
import TestSupport

/// docs/api.md is generated from openapi.yaml: it must be what the spec gives today.
@Suite("docs/api.md")
struct APIDocsTests {
    @Test("docs/api.md is what scripts/api-docs.py renders from openapi.yaml, every operation in it")
    func upToDate() async throws {
        let script = Repository.root.appendingPathComponent("scripts/api-docs.py").path
        let check = try await Shell.run(["python3", script, "--check"])
        #expect(check.status == 0, "run python3 scripts/api-docs.py")
        let page = try String(contentsOf: Repository.root.appendingPathComponent("docs/api.md"), encoding: .utf8)
        for operation in ["createRedpack", "listRedpacks", "getRedpack", "refreshRedpack", "createGroupRedpack", "createTransfer", "getTransfer",
                          "getUsage", "createWebhook", "listWebhooks", "deleteWebhook"] {
            #expect(page.contains("### \(operation)\n"), "\(operation)")
        }
    }
}
