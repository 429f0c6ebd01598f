import Crypto
import Foundation
import Postgres

/// Walks every audit chain and re-derives each link on its own, in Swift, from the stored
/// row: hash = SHA-256(prev_hash ‖ canonical record), prev_hash = the previous record's
/// hash (32 zero bytes before the first), sequence numbers without gaps, and the chain's
/// head equal to its last record. Names the first broken record. Against a signed
/// `AuditCheckpoint` it also holds every chain the checkpoint names to the seq and hash
/// signed there, which catches what the owner can do undetected inside the database
/// (remove a chain's tail and move its head back, remove a whole chain, re-chain).
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
        /// The checkpoint the chains were held to (`verify(against:)`); absent otherwise.
        public let checkpoint: Anchor?

        init(chains: Int, records: Int, broken: Broken?, checkpoint: Anchor? = nil) {
            self.chains = chains
            self.records = records
            self.broken = broken
            self.checkpoint = checkpoint
        }
    }

    /// Which checkpoint a report was checked against.
    public struct Anchor: Sendable, Equatable, Codable {
        public let createdAt: String
        public let keyID: String
        /// Chains the checkpoint names.
        public let chains: Int

        enum CodingKeys: String, CodingKey { case chains, createdAt = "created_at", keyID = "key_id" }
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

    /// Every chain, walked in one snapshot; with `checkpoint` (whose signature the caller
    /// has checked), every chain it names must still reach its seq with its hash.
    public func verify(against checkpoint: AuditCheckpoint? = nil) async throws -> Report {
        let pageSize = self.pageSize
        return try await pool.transaction(.repeatableRead, readOnly: true) { try Self.walk($0, pageSize: pageSize, checkpoint: checkpoint) }
    }

    /// Every chain's head that has records, and the database's time, read in one snapshot:
    /// what a checkpoint signs.
    public func heads() async throws -> (at: Date, heads: [AuditCheckpoint.Head]) {
        try await pool.transaction(.repeatableRead, readOnly: true) { c in
            let at = try c.query("SELECT now()").first!.decode(column: 0, as: Date.self)
            let heads = try c.query("SELECT chain, seq, hash FROM audit_heads WHERE seq > 0").rows.map {
                let (chain, seq, hash) = try $0.decode((String, Int64, [UInt8]).self)
                return AuditCheckpoint.Head(chain: chain, seq: seq, hash: hash)
            }
            return (at, heads)
        }
    }

    /// The walk, on a connection inside the caller's snapshot: pages of `pageSize` records
    /// in (chain, seq) order.
    static func walk(_ c: PostgresConnection, pageSize: Int, checkpoint: AuditCheckpoint?) throws -> Report {
        var chains = 0, records = 0
        var chain: String? = nil
        var expectedSeq: Int64 = 1
        var previous = genesis
        var after: (String, Int64) = ("", 0)
        let heads = try c.query("SELECT chain, seq, hash FROM audit_heads").rows.reduce(into: [String: (Int64, [UInt8])]()) { map, row in
            let (name, seq, hash) = try row.decode((String, Int64, [UInt8]).self)
            map[name] = (seq, hash)
        }
        let anchor = checkpoint.map { Anchor(createdAt: $0.createdAt, keyID: $0.keyID, chains: $0.chains.count) }
        let signed = Dictionary(uniqueKeysWithValues: (checkpoint?.chains ?? []).map { ($0.chain, $0) })
        let checkpointName = "the checkpoint of \(checkpoint?.createdAt ?? "")"
        func report(_ broken: Broken?) -> Report { Report(chains: chains, records: records, broken: broken, checkpoint: anchor) }
        var seen: Set<String> = []
        func closeChain() -> Broken? {
            guard let name = chain else { return nil }
            let last = expectedSeq - 1
            guard let head = heads[name] else { return Broken(chain: name, seq: last, id: nil, reason: "the chain has no head") }
            if head.0 != last || head.1 != previous {
                return Broken(chain: name, seq: last, id: nil,
                              reason: "the head says seq \(head.0), the records end at \(last) (records deleted at the end, or the head rewritten)")
            }
            if let head = signed[name], head.seq > last {
                return Broken(chain: name, seq: last + 1, id: nil,
                              reason: "\(checkpointName) signed this chain up to seq \(head.seq), the records end at \(last): "
                                  + "records \(last + 1)…\(head.seq) were removed (and the head moved back)")
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
                let r = try Record(row)
                if r.chain != chain {
                    if let broken = closeChain() { return report(broken) }
                    chain = r.chain
                    chains += 1
                    seen.insert(r.chain)
                    expectedSeq = 1
                    previous = genesis
                }
                records += 1
                if let broken = check(r, seq: expectedSeq, previous: previous) { return report(broken) }
                if let head = signed[r.chain], head.seq == r.seq, head.hash != r.hash {
                    return report(Broken(chain: r.chain, seq: r.seq, id: r.id,
                                         reason: "the record's hash is not the one \(checkpointName) signed: this record or one before it "
                                             + "was changed or removed and the chain re-hashed after it (re-chained)"))
                }
                previous = r.hash
                expectedSeq += 1
                after = (r.chain, r.seq)
            }
        }
        if let broken = closeChain() { return report(broken) }
        if let missing = signed.keys.sorted().first(where: { !seen.contains($0) }) {
            return report(Broken(chain: missing, seq: 1, id: nil,
                                 reason: "\(checkpointName) signed this chain up to seq \(signed[missing]!.seq), the log has none of its records: the chain was removed"))
        }
        if let orphan = heads.keys.sorted().first(where: { !seen.contains($0) && heads[$0]!.0 > 0 }) {
            return report(Broken(chain: orphan, seq: heads[orphan]!.0, id: nil, reason: "the head has records but none are in the log"))
        }
        return report(nil)
    }

    static let recordColumns = """
        id, chain, seq, prev_hash, hash, (floor(extract(epoch FROM occurred_at) * 1000000))::int8, actor, action,
        tenant_id::text, merchant, payout_id::text, request_id, detail::text
        """

    /// One stored record, as `recordColumns` reads it.
    struct Record {
        let id: Int64, chain: String, seq: Int64, prevHash: [UInt8], hash: [UInt8], micros: Int64
        let actor: String, action: String, tenant: String?, merchant: String?, payout: String?, requestID: String?, detail: String

        init(_ row: PostgresRow) throws {
            let r = try row.decode((Int64, String, Int64, [UInt8], [UInt8], Int64, String, String, String?, String?, String?, String?, String).self)
            id = r.0; chain = r.1; seq = r.2; prevHash = r.3; hash = r.4; micros = r.5
            actor = r.6; action = r.7; tenant = r.8; merchant = r.9; payout = r.10; requestID = r.11; detail = r.12
        }
    }

    /// One link: the record is the `expected` one of its chain, follows `previous`, and
    /// hashes to its stored hash.
    static func check(_ r: Record, seq expected: Int64, previous: [UInt8]) -> Broken? {
        guard r.seq == expected else {
            return Broken(chain: r.chain, seq: r.seq, id: r.id, reason: "expected seq \(expected): records are missing before it")
        }
        guard r.prevHash == previous else {
            return Broken(chain: r.chain, seq: r.seq, id: r.id, reason: "prev_hash is not the previous record's hash")
        }
        let computed = link(previous: previous, chain: r.chain, seq: r.seq, micros: r.micros, actor: r.actor, action: r.action, tenant: r.tenant,
                            merchant: r.merchant, payout: r.payout, requestID: r.requestID, detail: r.detail)
        guard computed == r.hash else {
            return Broken(chain: r.chain, seq: r.seq, id: r.id, reason: "the record does not hash to its stored hash (changed after it was written)")
        }
        return nil
    }
}
