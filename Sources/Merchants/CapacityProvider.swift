import Foundation
import WeChatPay

/// What each entity has used today, as PostgreSQL records it (the payout engine's
/// reservations). For operators (`merchant list`, `status`) and as routing hints; the
/// limits themselves are enforced by the reservation, not by reading this first.
public protocol CapacityProvider: Sendable {
    /// Keyed by entity name; `openID` nil when no particular user is asked about.
    func usage(of merchants: [any MerchantConfig], openID: String?, day: BusinessDay) async throws -> [String: MerchantUsage]
}

public struct MerchantUsage: Sendable, Equatable, Codable {
    /// Sends in the last 60 seconds.
    public var lastMinute: Int
    /// Packets this openid got from the merchant today (Shanghai day).
    public var userToday: Int
    /// Fen the merchant sent (or has reserved) today.
    public var amountTodayFen: Int64
    /// Packets the merchant sent (or has reserved) today.
    public var countToday: Int

    public static let none = MerchantUsage(lastMinute: 0, userToday: 0, amountTodayFen: 0)

    public init(lastMinute: Int, userToday: Int, amountTodayFen: Int64, countToday: Int = 0) {
        self.lastMinute = lastMinute
        self.userToday = userToday
        self.amountTodayFen = amountTodayFen
        self.countToday = countToday
    }

    enum CodingKeys: String, CodingKey {
        case lastMinute = "last_minute", userToday = "user_today", amountTodayFen = "amount_today_fen", countToday = "count_today"
    }
}
