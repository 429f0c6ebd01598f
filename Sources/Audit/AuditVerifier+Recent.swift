import Foundation
import Postgres

/// The audit trail's state as `status` and the dashboard show it, in bounded time: the
/// latest N records (by id, whatever their chain) re-derived link by link — each one's
/// prev_hash checked against the record before it, which is fetched when that one is
/// older than the window — and every chain's head checked against its last record (one
/// index probe per chain). A change to an older record is not seen here: `hongbao audit
/// verify` (or `status --audit-full`) walks everything.
extension AuditVerifier {
    public struct State: Sendable, Equatable, Codable {
        /// "recent" (the latest `records` records and every head) or "full" (every record).
        public let mode: String
        public let ok: Bool
        /// Chains whose head was checked (recent) or walked (full).
        public let chains: Int
        /// Records re-derived.
        public let records: Int
        /// The window's ids (recent mode; nil in full mode or when the log is empty).
        public let fromID: Int64?
        public let throughID: Int64?
        public let broken: Broken?

        enum CodingKeys: String, CodingKey { case mode, ok, chains, records, broken, fromID = "from_id", throughID = "through_id" }

        public init(mode: String, chains: Int, records: Int, fromID: Int64?, throughID: Int64?, broken: Broken?) {
            self.mode = mode
            self.ok = broken == nil
            self.chains = chains
            self.records = records
            self.fromID = fromID
            self.throughID = throughID
            self.broken = broken
        }

        /// Every key present; null where there is no value.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(mode, forKey: .mode)
            try c.encode(ok, forKey: .ok)
            try c.encode(chains, forKey: .chains)
            try c.encode(records, forKey: .records)
            try c.encode(fromID, forKey: .fromID)
            try c.encode(throughID, forKey: .throughID)
            try c.encode(broken, forKey: .broken)
        }
    }

    /// How much of the trail to re-derive.
    public enum Scope: Sendable, Equatable {
        /// The latest `records` records and every chain head: bounded, for every refresh.
        case recent(records: Int)
        /// Every record (what `hongbao audit verify` does): grows with the trail.
        case full

        public static let `default` = Scope.recent(records: 10_000)
    }

    public func state(_ scope: Scope) async throws -> State {
        switch scope {
        case .full:
            let report = try await verify()
            return State(mode: "full", chains: report.chains, records: report.records, fromID: nil, throughID: nil, broken: report.broken)
        case .recent(let records):
            // One snapshot, like the full walk: a head read after the window moved on is no break.
            return try await pool.transaction(.repeatableRead, readOnly: true) { try Self.recent($0, records: records) }
        }
    }

    /// The bounded check on one connection (three statements, in the caller's snapshot).
    public static func recent(_ c: PostgresConnection, records limit: Int) throws -> State {
        let window = try c.query("SELECT \(recordColumns) FROM audit_log ORDER BY id DESC LIMIT $1", [Int64(limit)]).rows.map(Record.init)
        let byChain = Dictionary(grouping: window, by: \.chain).mapValues { $0.sorted { $0.seq < $1.seq } }
        // The record just before each chain's part of the window, when there is one.
        let needed = byChain.values.compactMap(\.first).filter { $0.seq > 1 }
        var before: [String: [UInt8]] = [:]
        if !needed.isEmpty {
            for row in try c.query("""
                SELECT l.chain, l.hash FROM audit_log l JOIN unnest($1::text[], $2::text[]) AS w(chain, seq) ON l.chain = w.chain AND l.seq = w.seq::int8
                """, [PostgresTextArray(needed.map(\.chain)), PostgresTextArray(needed.map { String($0.seq - 1) })]).rows {
                let (chain, hash) = try row.decode((String, [UInt8]).self)
                before[chain] = hash
            }
        }
        let heads = try c.query("""
            SELECT h.chain, h.seq, h.hash, l.hash, (SELECT max(m.seq) FROM audit_log m WHERE m.chain = h.chain)
            FROM audit_heads h LEFT JOIN audit_log l ON l.chain = h.chain AND l.seq = h.seq
            WHERE h.seq > 0 ORDER BY h.chain
            """).rows.map { try $0.decode((String, Int64, [UInt8], [UInt8]?, Int64?).self) }
        let fromID = window.last?.id, throughID = window.first?.id
        func result(_ broken: Broken?) -> State {
            State(mode: "recent", chains: heads.count, records: window.count, fromID: fromID, throughID: throughID, broken: broken)
        }
        let headNames = Set(heads.map(\.0))
        for chain in byChain.keys.sorted() {
            let records = byChain[chain]!
            guard headNames.contains(chain) else {
                return result(Broken(chain: chain, seq: records.last!.seq, id: records.last!.id, reason: "the chain has no head"))
            }
            var expected = records[0].seq
            var previous: [UInt8]
            if expected == 1 {
                previous = genesis
            } else if let hash = before[chain] {
                previous = hash
            } else {
                return result(Broken(chain: chain, seq: expected, id: records[0].id, reason: "expected seq \(expected - 1) before it: records are missing"))
            }
            for r in records {
                if let broken = check(r, seq: expected, previous: previous) { return result(broken) }
                previous = r.hash
                expected += 1
            }
        }
        for (chain, seq, hash, lastHash, maxSeq) in heads {
            guard let maxSeq else {
                return result(Broken(chain: chain, seq: seq, id: nil, reason: "the head has records but none are in the log"))
            }
            guard maxSeq == seq, lastHash == hash else {
                return result(Broken(chain: chain, seq: seq, id: nil,
                                     reason: "the head says seq \(seq), the records end at \(maxSeq) (records deleted at the end, or the head rewritten)"))
            }
        }
        return result(nil)
    }
}
