import Foundation
import Payouts

/// Today's payouts (Asia/Shanghai day), by status and by entity.
public struct SendsToday: Sendable, Encodable {
    public let count: Int64
    public let amountFen: Int64
    /// Every status, 0 when none.
    public let byStatus: [String: Int64]
    public let byMerchant: [Merchant]

    public struct Merchant: Sendable, Encodable {
        public let merchant: String
        public let count: Int64
        public let amountFen: Int64
        public let byStatus: [String: Int64]

        enum CodingKeys: String, CodingKey { case merchant, count, amountFen = "amount_fen", byStatus = "by_status" }
    }

    enum CodingKeys: String, CodingKey { case count, amountFen = "amount_fen", byStatus = "by_status", byMerchant = "by_merchant" }

    /// From (merchant, status, count, fen) groups.
    init(_ groups: [(merchant: String, status: String, count: Int64, fen: Int64)]) {
        func zeros() -> [String: Int64] { Dictionary(uniqueKeysWithValues: PayoutStatus.allCases.map { ($0.rawValue, Int64(0)) }) }
        var all = zeros()
        var merchants: [String: (count: Int64, fen: Int64, byStatus: [String: Int64])] = [:]
        for g in groups {
            all[g.status, default: 0] += g.count
            var m = merchants[g.merchant] ?? (0, 0, zeros())
            m.count += g.count
            m.fen += g.fen
            m.byStatus[g.status, default: 0] += g.count
            merchants[g.merchant] = m
        }
        byStatus = all
        count = groups.reduce(0) { $0 + $1.count }
        amountFen = groups.reduce(0) { $0 + $1.fen }
        byMerchant = merchants.keys.sorted().map { name in
            let m = merchants[name]!
            return Merchant(merchant: name, count: m.count, amountFen: m.fen, byStatus: m.byStatus)
        }
    }
}
