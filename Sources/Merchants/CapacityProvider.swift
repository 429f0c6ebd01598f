import Foundation
import WeChatPay

/// What each candidate has used, as far as the gateway knows (its own sends). The
/// payout engine implements this against PostgreSQL; routing asks once per request for
/// all candidates together, so it costs one round trip whatever their number.
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
