import Foundation

/// A SQL `date`: a calendar day without time or zone.
public struct PostgresDate: Hashable, Comparable, Sendable, CustomStringConvertible, PostgresEncodable, PostgresDecodable {
    /// Days since 1970-01-01.
    public let daysSinceUnixEpoch: Int

    public init(daysSinceUnixEpoch: Int) { self.daysSinceUnixEpoch = daysSinceUnixEpoch }

    /// Proleptic Gregorian date; nil when the day does not exist.
    public init?(year: Int, month: Int, day: Int) {
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: Self.calendar), let date = Self.calendar.date(from: components) else { return nil }
        self.daysSinceUnixEpoch = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    public var components: (year: Int, month: Int, day: Int) {
        let c = Self.calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(daysSinceUnixEpoch) * 86_400))
        return (c.year!, c.month!, c.day!)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// ISO `YYYY-MM-DD`.
    public var description: String {
        let c = components
        func pad(_ v: Int, _ width: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, width - s.count)) + s }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
    }

    /// Parses ISO `YYYY-MM-DD`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func < (a: PostgresDate, b: PostgresDate) -> Bool { a.daysSinceUnixEpoch < b.daysSinceUnixEpoch }

    public var postgresBinding: PostgresBinding {
        PostgresBinding(oid: PostgresOID.date, bytes: BigEndian.bytes(Int32(daysSinceUnixEpoch - PostgresEpoch.unixDays)), binary: true)
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer?, oid: UInt32) throws(DecodeMismatch) -> PostgresDate {
        let b = try required(bytes)
        try expect(oid, in: [PostgresOID.date])
        try size(b, 4)
        return PostgresDate(daysSinceUnixEpoch: Int(BigEndian.read(Int32.self, b)) + PostgresEpoch.unixDays)
    }
}
