import Foundation
import Postgres
import Testing
import TestSupport

/// An entity's daily amount is reserved on 8 escrow stripes (migration 0021). The invariant:
/// the stripes' amounts never sum past the day's limit, and a reservation is refused only
/// when the sum plus it would pass the limit — exactly as one row per day did.
@Suite("Merchant daily amount in escrow stripes")
struct MerchantEscrowTests {
    static let mch = "1900000109", day = "2026-12-06"

    /// The database as the gateway's role sees it (the functions work with its grants).
    func appPool(_ label: String, connections: Int = 1) async throws -> PostgresPool {
        let (url, admin) = try await TestDatabase.migratedDatabase(label)
        admin.close()
        return PostgresPool(configuration: PostgresConfiguration(connectionString: try await TestDatabase.appURL(url), maxConnections: connections))
    }

    func reserve(_ c: PostgresConnection, stripe: Int16, fen: Int64, limit: Int64) throws -> Bool {
        do {
            try c.query("SELECT hb_merchant_reserve($1, $2::date, $3, $4, $5)", [Self.mch, Self.day, stripe, fen, limit])
            return true
        } catch let error as PostgresError where error.sqlState == "HB000" && error.message == "daily_amount" {
            return false
        }
    }

    func dayTotal(_ c: PostgresConnection) throws -> Int64 {
        try c.query("SELECT coalesce(sum(amount_fen), 0)::int8 FROM merchant_usage WHERE mch_id = $1 AND day = $2::date", [Self.mch, Self.day])
            .first!.decode(column: 0, as: Int64.self)
    }

    @Test("random reserves, releases, refunds, late counts and limit changes agree with a plain sum, refusal for refusal")
    func agreesWithOneRow() async throws {
        let pool = try await appPool("escrowmodel")
        defer { pool.close() }
        try await pool.withConnection { c in
            var random = SeededGenerator(seed: 0x19_0021)
            var limit: Int64 = 60_000, total: Int64 = 0
            var held: [(stripe: Int16, fen: Int64)] = []
            var refusals = 0
            for step in 0..<3_000 {
                let stripe = Int16.random(in: 0...7, using: &random)
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<60:
                    let fen = Int64.random(in: 1...6_000, using: &random)
                    let fits = total + fen <= limit
                    #expect(try reserve(c, stripe: stripe, fen: fen, limit: limit) == fits, "step \(step): \(fen) fen with \(total) of \(limit) used")
                    if fits { total += fen; held.append((stripe, fen)) } else { refusals += 1 }
                case 60..<85 where !held.isEmpty:
                    let (stripe, fen) = held.remove(at: Int.random(in: 0..<held.count, using: &random))
                    try c.query("SELECT hb_merchant_release($1, $2::date, $3, $4, 1)", [Self.mch, Self.day, stripe, fen])
                    total -= fen
                case 85..<92 where !held.isEmpty:
                    let index = Int.random(in: 0..<held.count, using: &random)
                    let refund = Int64.random(in: 1...held[index].fen, using: &random)
                    try c.query("SELECT hb_merchant_release($1, $2::date, $3, $4, 0)", [Self.mch, Self.day, held[index].stripe, refund])
                    held[index].fen -= refund
                    total -= refund
                case 92..<95:
                    // WeChat paid a billno whose reservation had been given back: counted whatever the limit.
                    let fen = Int64.random(in: 1...6_000, using: &random)
                    try c.query("SELECT hb_merchant_count_again($1, $2::date, $3, $4)", [Self.mch, Self.day, stripe, fen])
                    total += fen
                    held.append((stripe, fen))
                case 95..<100:
                    limit = Int64.random(in: 10_000...120_000, using: &random)
                default:
                    continue
                }
                #expect(try dayTotal(c) == total, "step \(step)")
            }
            #expect(refusals > 100, "the sequence reached the limit often (\(refusals) refusals)")
            // The escrow's own invariant after a cut (a new limit forces one): within its
            // share on every stripe, the shares summing to the limit.
            #expect(try reserve(c, stripe: 0, fen: 1, limit: total + 1_000_000))
            let row = try c.query("""
                SELECT count(*) FILTER (WHERE amount_fen > cap_fen OR cap_fen IS NULL), sum(cap_fen)::int8 FROM merchant_usage_stripes
                WHERE mch_id = $1 AND day = $2::date AND limit_fen = $3
                """, [Self.mch, Self.day, total + 1_000_000]).first!
            #expect(try row.decode(column: 0, as: Int64.self) == 0)
            #expect(try row.decode(column: 1, as: Int64.self) == total + 1_000_000)
        }
    }

    @Test("16 connections reserving at once on random stripes fill the day to the fen, and no further")
    func concurrentFillIsExact() async throws {
        let pool = try await appPool("escrowfill", connections: 16)
        defer { pool.close() }
        let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var random = SeededGenerator(seed: UInt64(worker))
                    var ok = 0
                    for _ in 0..<25 {
                        let stripe = Int16.random(in: 0...7, using: &random)
                        if try await pool.withConnection({ try reserve($0, stripe: stripe, fen: 100, limit: 20_000) }) { ok += 1 }
                    }
                    return ok
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(accepted == 200)
        #expect(try await pool.withConnection { try dayTotal($0) } == 20_000)
    }

    @Test("a reservation made before the stripes (stripe 0, no share) is given back whichever stripe its payout now names")
    func reservationFromBeforeTheStripes() async throws {
        let (url, admin) = try await TestDatabase.migratedDatabase("escrowold")
        defer { admin.close() }
        // What 0021 leaves of a day reserved by an older version: one row, now stripe 0, no share.
        try await admin.query("INSERT INTO merchant_usage_stripes (mch_id, day, amount_fen, count) VALUES ($1, $2::date, 700, 2)", [Self.mch, Self.day])
        let app = PostgresPool(configuration: PostgresConfiguration(connectionString: try await TestDatabase.appURL(url), maxConnections: 1))
        defer { app.close() }
        try await app.withConnection { c in
            try c.query("SELECT hb_merchant_release($1, $2::date, 5::smallint, 300, 1)", [Self.mch, Self.day])
            #expect(try dayTotal(c) == 400)
            // The next reservation cuts the shares from what is left: 1,000 − 400.
            #expect(try reserve(c, stripe: 3, fen: 600, limit: 1_000))
            #expect(try !reserve(c, stripe: 6, fen: 1, limit: 1_000))
        }
    }

    @Test("an instance of the older version cannot write the day's amount: its upsert and its release fail and change nothing")
    func olderInstanceFailsSafely() async throws {
        let pool = try await appPool("escrowolder")
        defer { pool.close() }
        try await pool.withConnection { c in
            let reserved = try reserve(c, stripe: 1, fen: 500, limit: 10_000)
            #expect(reserved)
            let upsert = Result { try c.query("""
                    INSERT INTO merchant_usage (mch_id, day, amount_fen, count) SELECT $1, $2::date, $3, 1 WHERE $3 <= $4
                    ON CONFLICT (mch_id, day) DO UPDATE SET amount_fen = merchant_usage.amount_fen + EXCLUDED.amount_fen, count = merchant_usage.count + 1
                    WHERE merchant_usage.amount_fen + EXCLUDED.amount_fen <= $4 RETURNING 1
                    """, [Self.mch, Self.day, Int64(100), Int64(10_000)]) }
            let release = Result { try c.query("UPDATE merchant_usage SET count = count - 1, amount_fen = amount_fen - $3 WHERE mch_id = $1 AND day = $2::date RETURNING 1",
                                               [Self.mch, Self.day, Int64(500)]) }
            #expect(throws: PostgresError.self) { try upsert.get() }
            #expect(throws: PostgresError.self) { try release.get() }
            let total = try dayTotal(c)
            #expect(total == 500)
        }
    }
}
