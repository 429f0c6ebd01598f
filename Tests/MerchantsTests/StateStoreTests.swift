import Foundation
import Merchants
import Postgres
import Testing
import TestSupport

@Suite("Merchant runtime state in PostgreSQL")
struct StateStoreTests {
    @Test("disable and enable are stored, shared and audited in the same transaction")
    func switching() async throws {
        let pool = try await TestDatabase.migrated("mstate")
        defer { pool.close() }
        let store = MerchantStateStore(pool: pool)
        #expect(try await store.all().isEmpty)
        try await store.setEnabled("acme", false, reason: "rotating certificate", actor: "test:alice")
        #expect(try await store.all()["acme"] == MerchantRuntimeState(enabled: false, reason: "rotating certificate", cooldownUntil: nil, cooldownCode: nil))
        try await store.setEnabled("acme", true, reason: nil, actor: "test:alice")
        #expect(try await store.all()["acme"]?.enabled == true)
        let until = Date(timeIntervalSince1970: 2_000_000_000)
        try await store.coolDown("acme", until: until, code: "NOTENOUGH", actor: "engine")
        let state = try #require(try await store.all()["acme"])
        // Read back as time left on the database's clock, placed on this instance's: the same end (within the time a starved test thread may take between the two reads).
        #expect(state.enabled && state.cooldownCode == "NOTENOUGH" && abs(state.cooldownUntil!.timeIntervalSince(until)) < 30)
        let audit = try await pool.query("SELECT actor, action, merchant FROM audit_log ORDER BY id").rows.map { try $0.decode((String, String, String).self) }
        #expect(audit.map(\.1) == ["merchant.disable", "merchant.enable", "merchant.cooldown"])
        #expect(audit.allSatisfy { $0.2 == "acme" } && audit[0].0 == "test:alice")
    }
}
