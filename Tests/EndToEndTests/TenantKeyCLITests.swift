import Foundation
import Testing
import TestSupport

/// `hongbao tenant …` and `hongbao key …` as an operator runs them, as the app role.
@Suite("hongbao tenant and key: what operators type")
struct TenantKeyCLITests {
    @Test("tenant add/show/list find a tenant by name and by id in either case; key issue/list/revoke by id or lookup")
    func tenantsAndKeys() async throws {
        let (url, pool) = try await TestDatabase.migratedDatabase("cli-tenants")
        defer { pool.close() }
        let environment: [String: String?] = ["DATABASE_URL": try await TestDatabase.appURL(url)]
        func hongbao(_ arguments: [String]) async throws -> Hongbao.Run {
            let run = try await Hongbao.run(arguments, environment: environment)
            #expect(run.status == 0, "hongbao \(arguments.joined(separator: " ")): \(run.err)")
            return run
        }
        func json(_ run: Hongbao.Run) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any], "\(run.out)")
        }

        _ = try await hongbao(["tenant", "add", "shop-a", "--actor", "test:ops"])
        let byName = try json(try await hongbao(["tenant", "show", "shop-a", "--json"]))
        let id = try #require((byName["tenant"] as? [String: Any])?["id"] as? String)
        #expect(id == id.lowercased() && UUID(uuidString: id) != nil)
        for form in [id, id.uppercased()] {
            let shown = try json(try await hongbao(["tenant", "show", form, "--json"]))
            #expect((shown["tenant"] as? [String: Any])?["name"] as? String == "shop-a", "found by \(form)")
        }
        let issued = try json(try await hongbao(["key", "issue", "--tenant", "shop-a", "--test", "--json"]))
        let key = try #require(issued["key"] as? String)
        let keyID = try #require(issued["id"] as? String)
        #expect(key.hasPrefix("hb_test_"))
        let listed = try await hongbao(["key", "list", "--tenant", id.uppercased()])
        #expect(listed.out.contains(issued["lookup"] as? String ?? "?") && !listed.out.contains(key), "the key itself is never listed")
        let revoked = try await hongbao(["key", "revoke", keyID.uppercased(), "--reason", "test", "--actor", "test:ops"])
        #expect(revoked.out.contains("revoked"))
        let missing = try await Hongbao.run(["tenant", "show", "shop-z"], environment: environment)
        #expect(missing.status != 0 && missing.err.contains("shop-z"))
    }
}
