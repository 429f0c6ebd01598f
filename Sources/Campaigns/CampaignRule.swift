import Foundation
import Payouts

/// 满额送: when a user's payment earns a red packet. Either a minimum paid amount (the packet
/// is the campaign's amount, fixed or drawn) or tiers — paid ≥ A earns a, paid ≥ B earns b —
/// where the highest tier met decides and each reward lies within the campaign's range (so
/// the reservation's range check holds and the record reproduces it).
public enum CampaignRule: Sendable, Equatable, Codable {
    case minimum(paidFen: Int64)
    case tiers([Tier])

    public struct Tier: Sendable, Equatable, Codable {
        public let paidFen: Int64
        public let rewardFen: Int64

        public init(paidFen: Int64, rewardFen: Int64) {
            self.paidFen = paidFen
            self.rewardFen = rewardFen
        }

        enum CodingKeys: String, CodingKey { case paidFen = "paid_fen", rewardFen = "reward_fen" }
    }

    /// What a payment of `paidFen` earns: nil below the threshold; `.some(nil)`: the
    /// campaign's own amount; `.some(fen)`: that tier's reward.
    public func reward(forPaid paidFen: Int64) -> Int64?? {
        switch self {
        case .minimum(let threshold):
            return paidFen >= threshold ? .some(nil) : nil
        case .tiers(let tiers):
            guard let tier = tiers.last(where: { paidFen >= $0.paidFen }) else { return nil }
            return .some(tier.rewardFen)
        }
    }

    public static let maximumTiers = 20

    func problems(minFen: Int64, maxFen: Int64) -> [FieldProblem] {
        switch self {
        case .minimum(let paid):
            return paid > 0 ? [] : [FieldProblem("rule.min_paid_fen", "must be positive")]
        case .tiers(let tiers):
            var out: [FieldProblem] = []
            if tiers.isEmpty || tiers.count > Self.maximumTiers { out.append(FieldProblem("rule.tiers", "must have 1–\(Self.maximumTiers) tiers")) }
            if tiers.contains(where: { $0.paidFen <= 0 }) { out.append(FieldProblem("rule.tiers", "paid_fen must be positive")) }
            if zip(tiers, tiers.dropFirst()).contains(where: { $0.paidFen >= $1.paidFen }) {
                out.append(FieldProblem("rule.tiers", "must be in increasing paid_fen"))
            }
            // Not a ClosedRange: min above max is the tenant's mistake (refused by the draft), not a trap.
            if tiers.contains(where: { $0.rewardFen < minFen || $0.rewardFen > maxFen }) {
                out.append(FieldProblem("rule.tiers", "every reward_fen must be within amount_min_fen–amount_max_fen (\(minFen)–\(maxFen))"))
            }
            return out
        }
    }

    // Stored as {"min_paid_fen": X} or {"tiers": [{"paid_fen": A, "reward_fen": a}, …]}.
    enum CodingKeys: String, CodingKey { case minPaidFen = "min_paid_fen", tiers }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let tiers = try c.decodeIfPresent([Tier].self, forKey: .tiers) {
            self = .tiers(tiers)
        } else {
            self = .minimum(paidFen: try c.decode(Int64.self, forKey: .minPaidFen))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .minimum(let paid): try c.encode(paid, forKey: .minPaidFen)
        case .tiers(let tiers): try c.encode(tiers, forKey: .tiers)
        }
    }
}
