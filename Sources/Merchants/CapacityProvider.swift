import Foundation
import WeChatPay

/// What each entity has used today, as PostgreSQL records it (the payout engine's
/// reservations). For operators (`merchant list`, `status`) and as routing hints; the
/// limits themselves are enforced by the reservation, not by reading this first.
public protocol CapacityProvider: Sendable {
    func usage(of merchants: [String], openID: String, day: BusinessDay, now: Date) async throws -> [String: MerchantUsage]
}

public struct MerchantUsage: Sendable, Equatable {
    /// Sends in the last 60 seconds.
    public var lastMinute: Int
    /// Packets this openid got from the merchant today (Shanghai day).
    public var userToday: Int
    /// Fen the merchant sent (or has reserved) today.
    public var amountTodayFen: Int64

    public static let none = MerchantUsage(lastMinute: 0, userToday: 0, amountTodayFen: 0)

    public init(lastMinute: Int, userToday: Int, amountTodayFen: Int64) {
        self.lastMinute = lastMinute
        self.userToday = userToday
        self.amountTodayFen = amountTodayFen
    }
}
