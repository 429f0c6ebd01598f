import Foundation
import Postgres
import Testing
import TestSupport

/// Storing a payout's answer (transaction 2) and reading it back (a replay) find the
/// payout's idempotency key directly, not by walking every key its tenant ever used.
@Suite("Idempotency keys by payout")
struct IdempotencyIndexTests {
    @Test("storing an answer visits one key row however many keys the tenant has")
    func storeVisitsOneRow() async throws {
        let pool = try await TestDatabase.migrated("idemindex")
        defer { pool.close() }
        let tenant = UUID()
        try await pool.query("INSERT INTO tenants (id, name) VALUES ($1, 'busy')", [tenant])
        // 5,000 keys of one tenant (their payouts left out: the foreign key is off here).
        _ = try await pool.transaction { c in
            try c.query("SET LOCAL session_replication_role = replica")
            try c.query("""
                INSERT INTO idempotency_keys (tenant_id, key, request_hash, payout_id, mode)
                SELECT $1, 'k' || g, sha256(g::text::bytea), gen_random_uuid(), 'test' FROM generate_series(1, 5000) g
                """, [tenant])
        }
        try await pool.query("ANALYZE idempotency_keys")
        let payout = try await pool.query("SELECT payout_id FROM idempotency_keys WHERE key = 'k4321'").first!.decode(column: 0, as: UUID.self)
        let plan = try await pool.transaction { c -> String in
            try c.query("""
                EXPLAIN (ANALYZE, COSTS OFF) UPDATE idempotency_keys SET response_status = 201, response_body = '\\x7b7d'
                WHERE tenant_id = $1 AND payout_id = $2 AND response_status IS NULL
                """, [tenant, payout]).rows.map { try $0.decode(column: 0, as: String.self) }.joined(separator: "\n")
        }
        // Before 0023: "Index Scan using idempotency_keys_pkey … Rows Removed by Filter: 4999".
        #expect(plan.contains("Index Scan using idempotency_keys_payout"), "\(plan)")
        #expect(!plan.contains("Rows Removed by Filter"), "\(plan)")
    }
}
