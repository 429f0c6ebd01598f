import Audit
import Foundation
import Payouts
import Merchants
import Postgres
import Tenants
import Testing
import TestSupport

/// What the database owner (here: the test cluster's superuser, the admin pool) can do
/// inside the database without plain `audit verify` noticing, and how a checkpoint signed
/// before it — with a key the database never saw — catches each one.
@Suite("Audit checkpoints: the chains anchored outside the database")
struct AuditCheckpointTests {
    /// A migrated database with 3 admin records and 40 probes on three chains
    /// (tenant:test:0 has 14 records, :1 and :2 have 13), a throwaway key and a checkpoint
    /// signed now; then 5 more records on every probe chain, so each checkpointed head sits
    /// in the middle of its chain.
    func anchored(_ label: String) async throws -> (pool: PostgresPool, key: AuditSigningKey, checkpoint: AuditCheckpoint) {
        let (_, pool) = try await TestDatabase.migratedDatabase(label)
        let tenants = TenantStore(pool: pool)
        for name in ["alpha", "beta"] { _ = try await tenants.add(name: name, dailyBudgetFen: nil, actor: "test") }
        _ = try await APIKeyStore(pool: pool).issue(tenant: "alpha", mode: .test, actor: "test")
        try await append(pool, count: 40, action: "probe")
        let key = AuditSigningKey()
        let checkpoint = try await AuditCheckpoint.take(from: pool, key: key)
        try await append(pool, count: 15, action: "later")
        return (pool, key, checkpoint)
    }

    func append(_ pool: PostgresPool, count: Int, action: String) async throws {
        try await pool.transaction { c in
            for i in 0..<count {
                try AuditLog.append(c, chain: "tenant:test:\(i % 3)", actor: "test", action: "\(action).\(i)", detail: PostgresJSON(encoding: ["i": String(i)]))
            }
        }
    }

    /// Runs `sql` as the owner with the append-only trigger off, as an owner rewriting history would.
    func rewrite(_ pool: PostgresPool, _ sql: String) async throws {
        try await pool.withConnection { c in
            try c.execute(script: "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; \(sql); ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        }
    }

    @Test("a checkpoint signs every chain's head: chain, seq and the hash of the record at that seq")
    func signsEveryHead() async throws {
        let (pool, key, checkpoint) = try await anchored("cpheads")
        defer { pool.close() }
        let signed = Dictionary(uniqueKeysWithValues: checkpoint.chains.map { ($0.chain, $0) })
        #expect(Set(signed.keys) == ["admin", "tenant:test:0", "tenant:test:1", "tenant:test:2"])
        #expect(signed["admin"]?.seq == 3 && signed["tenant:test:0"]?.seq == 14 && signed["tenant:test:1"]?.seq == 13 && signed["tenant:test:2"]?.seq == 13)
        for head in checkpoint.chains {
            let stored = try await pool.query("SELECT hash FROM audit_log WHERE chain = $1 AND seq = $2", [head.chain, head.seq]).first!.decode(column: 0, as: [UInt8].self)
            #expect(head.hash == stored, "\(head.chain)")
        }
        #expect(checkpoint.keyID == key.publicKey.keyID)
        try checkpoint.checkSignature(with: key.publicKey)
        let report = try await AuditVerifier(pool: pool).verify(against: checkpoint)
        #expect(report.broken == nil && report.records == 58 && report.checkpoint?.chains == 4, "records after the checkpoint are fine")
    }

    @Test("the tail of a chain deleted and its head moved back: plain verify passes, the checkpoint names the chain and the first removed record")
    func tailRemoved() async throws {
        let (pool, _, checkpoint) = try await anchored("cptail")
        defer { pool.close() }
        try await rewrite(pool, """
            DELETE FROM audit_log WHERE chain = 'tenant:test:2' AND seq > 10;
            UPDATE audit_heads SET seq = 10, hash = (SELECT hash FROM audit_log WHERE chain = 'tenant:test:2' AND seq = 10) WHERE chain = 'tenant:test:2'
            """)
        #expect(try await AuditVerifier(pool: pool).verify().broken == nil, "inside the database the shortened chain is consistent")
        let broken = try #require(try await AuditVerifier(pool: pool).verify(against: checkpoint).broken)
        #expect(broken.chain == "tenant:test:2" && broken.seq == 11 && broken.id == nil)
        #expect(broken.reason.contains("up to seq 13") && broken.reason.contains("records 11…13 were removed"), "\(broken.reason)")

        // Appending again until the chain is longer than it was does not hide it.
        try await append(pool, count: 30, action: "refill")
        #expect(try await AuditVerifier(pool: pool).verify().broken == nil)
        let refilled = try #require(try await AuditVerifier(pool: pool).verify(against: checkpoint).broken)
        #expect(refilled.chain == "tenant:test:2" && refilled.seq == 13 && refilled.reason.contains("re-chained"), "\(refilled)")
    }

    @Test("a whole chain deleted with its head: plain verify passes, the checkpoint names the missing chain")
    func chainRemoved() async throws {
        let (pool, _, checkpoint) = try await anchored("cpchain")
        defer { pool.close() }
        try await rewrite(pool, "DELETE FROM audit_log WHERE chain = 'tenant:test:1'; DELETE FROM audit_heads WHERE chain = 'tenant:test:1'")
        #expect(try await AuditVerifier(pool: pool).verify().broken == nil, "inside the database nothing points at the missing chain")
        let broken = try #require(try await AuditVerifier(pool: pool).verify(against: checkpoint).broken)
        #expect(broken.chain == "tenant:test:1" && broken.seq == 1 && broken.reason.contains("the chain was removed"), "\(broken)")
    }

    @Test("a record changed with the trigger disabled and every later SHA-256 and the head recomputed: plain verify passes, the checkpointed hash no longer matches")
    func rechained() async throws {
        let (pool, _, checkpoint) = try await anchored("cprechain")
        defer { pool.close() }
        let target = try await pool.query("SELECT id FROM audit_log WHERE chain = 'tenant:test:0' AND seq = 4").first!.decode(column: 0, as: Int64.self)
        try await rewrite(pool, """
            UPDATE audit_log SET detail = '{"i": "tampered"}' WHERE id = \(target);
            DO $$
            DECLARE
                r record;
                v_prev bytea := '\\x0000000000000000000000000000000000000000000000000000000000000000';
                v_hash bytea;
            BEGIN
                FOR r IN SELECT * FROM audit_log WHERE chain = 'tenant:test:0' ORDER BY seq LOOP
                    v_hash := sha256(v_prev || convert_to(audit_canonical(r.chain, r.seq, r.occurred_at, r.actor, r.action, r.tenant_id,
                                                                          r.merchant, r.payout_id, r.request_id, r.detail), 'UTF8'));
                    UPDATE audit_log SET prev_hash = v_prev, hash = v_hash WHERE id = r.id;
                    v_prev := v_hash;
                END LOOP;
                UPDATE audit_heads SET hash = v_prev WHERE chain = 'tenant:test:0';
            END $$
            """)
        #expect(try await pool.query("SELECT detail->>'i' FROM audit_log WHERE id = $1", [target]).first!.decode(column: 0, as: String.self) == "tampered")
        #expect(try await AuditVerifier(pool: pool).verify().broken == nil, "every link was recomputed")
        let broken = try #require(try await AuditVerifier(pool: pool).verify(against: checkpoint).broken)
        #expect(broken.chain == "tenant:test:0" && broken.seq == 14 && broken.id != nil && broken.reason.contains("re-chained"), "\(broken)")
    }

    @Test("a checkpoint changed after signing, or checked with another key, is refused with a signature error")
    func signatureRefused() async throws {
        let (pool, key, checkpoint) = try await anchored("cpsig")
        defer { pool.close() }
        // The owner's edit to match a shortened chain: tenant:test:2's seq lowered in the file.
        var object = try #require(try JSONSerialization.jsonObject(with: checkpoint.document) as? [String: Any])
        var chains = try #require(object["chains"] as? [[String: Any]])
        let index = try #require(chains.firstIndex { $0["chain"] as? String == "tenant:test:2" })
        #expect(chains[index]["seq"] as? Int == 13)
        chains[index]["seq"] = 10
        object["chains"] = chains
        let forged = try AuditCheckpoint(document: try JSONSerialization.data(withJSONObject: object))
        #expect(forged.chains.first { $0.chain == "tenant:test:2" }?.seq == 10)
        let tampered = #expect(throws: AuditError.self) { try forged.checkSignature(with: key.publicKey) }
        #expect(tampered?.code == "audit_checkpoint_signature" && tampered?.message.contains("signature is invalid") == true)

        let other = AuditSigningKey()
        let wrongKey = #expect(throws: AuditError.self) { try checkpoint.checkSignature(with: other.publicKey) }
        #expect(wrongKey?.code == "audit_checkpoint_signature" && wrongKey?.message.contains(other.publicKey.keyID) == true)

        // Re-signed with another key and its key id: still not the operator's key.
        let resigned = try AuditCheckpoint(heads: checkpoint.chains, key: other)
        #expect(throws: AuditError.self) { try resigned.checkSignature(with: key.publicKey) }
        #expect(try AuditCheckpoint(document: checkpoint.document) == checkpoint, "the file form reads back as written")
    }
}
