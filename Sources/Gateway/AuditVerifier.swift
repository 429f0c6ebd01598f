import Crypto
import Foundation
import Postgres

/// Walks every audit chain and re-derives each link on its own, in Swift, from the stored
/// row: hash = SHA-256(prev_hash ‖ canonical record), prev_hash = the previous record's
/// hash (32 zero bytes before the first), sequence numbers without gaps, and the chain's
/// head equal to its last record. Names the first broken record.
///
/// The heads and every page of records are read in one REPEATABLE READ, READ ONLY
/// snapshot: records appended while the walk runs are not seen at all, so a busy trail
/// never looks broken (a head read before later pages would be behind their records).
public struct AuditVerifier: Sendable {
    public struct Broken: Sendable, Equatable, Codable {
        public let chain: String
        public let seq: Int64
        public let id: Int64?
        public let reason: String
    }

    public struct Report: Sendable, Equatable, Codable {
        public let chains: Int
        public let records: Int
        public let broken: Broken?
    }

    let pool: PostgresPool
    let pageSize: Int

    public init(pool: PostgresPool, pageSize: Int = 5_000) {
        self.pool = pool
        self.pageSize = pageSize
    }

    static let genesis = [UInt8](repeating: 0, count: 32)

    /// One link, re-derived: SHA-256(prev_hash ‖ canonical record), the canonical text being
    /// every field unit-separated as migration 0004's `audit_canonical` writes it.
    static func link(previous: [UInt8], chain: String, seq: Int64, micros: Int64, actor: String, action: String, tenant: String?, merchant: String?,
                     payout: String?, requestID: String?, detail: String) -> [UInt8] {
        let canonical = [chain, String(seq), String(micros), actor, action, tenant ?? "", merchant ?? "", payout ?? "", requestID ?? "", detail]
            .joined(separator: "\u{1F}")
        return Array(SHA256.hash(data: Data(previous + Array(canonical.utf8))))
    }

    /// Every chain, walked in one snapshot.
    public func verify() async throws -> Report {
        let pageSize = self.pageSize
        return try await pool.transaction(.repeatableRead, readOnly: true) { try Self.walk($0, pageSize: pageSize) }
    }

    /// The walk, on a connection inside the caller's snapshot: pages of `pageSize` records
    /// in (chain, seq) order.
    static func walk(_ c: PostgresConnection, pageSize: Int) throws -> Report {
        var chains = 0, records = 0
        var chain: String? = nil
        var expectedSeq: Int64 = 1
        var previous = genesis
        var after: (String, Int64) = ("", 0)
        let heads = try c.query("SELECT chain, seq, hash FROM audit_heads").rows.reduce(into: [String: (Int64, [UInt8])]()) { map, row in
            let (name, seq, hash) = try row.decode((String, Int64, [UInt8]).self)
            map[name] = (seq, hash)
        }
        var seen: Set<String> = []
        func closeChain() -> Broken? {
            guard let name = chain else { return nil }
            guard let head = heads[name] else { return Broken(chain: name, seq: expectedSeq - 1, id: nil, reason: "the chain has no head") }
            if head.0 != expectedSeq - 1 || head.1 != previous {
                return Broken(chain: name, seq: expectedSeq - 1, id: nil,
                              reason: "the head says seq \(head.0), the records end at \(expectedSeq - 1) (records deleted at the end, or the head rewritten)")
            }
            return nil
        }
        while true {
            let rows = try c.query("""
                SELECT \(recordColumns)
                FROM audit_log WHERE (chain, seq) > ($1, $2) ORDER BY chain, seq LIMIT $3
                """, [after.0, after.1, pageSize]).rows
            if rows.isEmpty { break }
            for row in rows {
                let (id, name, seq, prevHash, hash, micros, actor, action, tenant, merchant, payout, requestID, detail) =
                    try row.decode((Int64, String, Int64, [UInt8], [UInt8], Int64, String, String, String?, String?, String?, String?, String).self)
                if name != chain {
                    if let broken = closeChain() { return Report(chains: chains, records: records, broken: broken) }
                    chain = name
                    chains += 1
                    seen.insert(name)
                    expectedSeq = 1
                    previous = genesis
                }
                records += 1
                guard seq == expectedSeq else {
                    return Report(chains: chains, records: records, broken: Broken(chain: name, seq: seq, id: id, reason: "expected seq \(expectedSeq): records are missing before it"))
                }
                guard prevHash == previous else {
                    return Report(chains: chains, records: records, broken: Broken(chain: name, seq: seq, id: id, reason: "prev_hash is not the previous record's hash"))
                }
                let computed = link(previous: previous, chain: name, seq: seq, micros: micros, actor: actor, action: action, tenant: tenant,
                                    merchant: merchant, payout: payout, requestID: requestID, detail: detail)
                guard computed == hash else {
                    return Report(chains: chains, records: records, broken: Broken(chain: name, seq: seq, id: id, reason: "the record does not hash to its stored hash (changed after it was written)"))
                }
                previous = hash
                expectedSeq += 1
                after = (name, seq)
            }
        }
        if let broken = closeChain() { return Report(chains: chains, records: records, broken: broken) }
        if let orphan = heads.keys.sorted().first(where: { !seen.contains($0) && heads[$0]!.0 > 0 }) {
            return Report(chains: chains, records: records, broken: Broken(chain: orphan, seq: heads[orphan]!.0, id: nil, reason: "the head has records but none are in the log"))
        }
        return Report(chains: chains, records: records, broken: nil)
    }
}
