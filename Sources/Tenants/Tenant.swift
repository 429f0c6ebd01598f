import Foundation
import Postgres

/// A SaaS customer of the gateway: its keys, payouts, webhooks and usage are its own.
public struct Tenant: Sendable, Equatable, Codable {
    public let id: UUID
    public let name: String
    /// Fen per Asia/Shanghai day; nil means no budget.
    public let dailyBudgetFen: Int64?
    public let disabledAt: Date?
    public let disabledReason: String?
    public let createdAt: Date

    public var isDisabled: Bool { disabledAt != nil }

    static let columns = "id, name, daily_budget_fen, disabled_at, disabled_reason, created_at"

    init(row: PostgresRow) throws {
        (id, name, dailyBudgetFen, disabledAt, disabledReason, createdAt) = try row.decode((UUID, String, Int64?, Date?, String?, Date).self)
    }

    /// Names are what operators type and merchants.d `tenants` lists.
    public static func validName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        func lowerOrDigit(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return lowerOrDigit(first) && name.utf8.allSatisfy { lowerOrDigit($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }
}
