import Crypto
import Foundation

/// A packet's amount within the campaign's [min, max]: drawn from the campaign and the
/// send's idempotency key, so a retry of the same send draws the same amount (and its
/// replay matches the first request), and the payout's record — its draw and the range as
/// it was — reproduces it: amount = min + draw mod (max − min + 1).
public struct CampaignDraw: Sendable, Equatable {
    /// Non-negative, from the first 8 bytes of SHA-256(campaign id ‖ key).
    public let draw: Int64
    public let amountFen: Int64

    public init(campaign: UUID, idempotencyKey: String, minFen: Int64, maxFen: Int64) {
        precondition(minFen > 0 && maxFen >= minFen, "a campaign's range is checked when it is made")
        let digest = Array(SHA256.hash(data: Data((campaign.uuidString.lowercased() + "\n" + idempotencyKey).utf8)))
        let bits = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        draw = Int64(bitPattern: bits & UInt64(Int64.max))
        amountFen = Self.amount(draw: draw, minFen: minFen, maxFen: maxFen)
    }

    /// The amount a recorded draw stands for.
    public static func amount(draw: Int64, minFen: Int64, maxFen: Int64) -> Int64 {
        minFen + draw % (maxFen - minFen + 1)
    }
}
