import Foundation

/// A calendar day in Asia/Shanghai — the "day" of every daily limit and of merchant
/// qualification (DESIGN.md §4). China has observed no daylight saving time since
/// 1991, so UTC+8 is exact for every date this system handles.
public struct BusinessDay: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// Days since 1970-01-01.
    public let ordinal: Int

    public init(ordinal: Int) { self.ordinal = ordinal }

    public init?(year: Int, month: Int, day: Int) {
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: BusinessCalendar.civil), let date = BusinessCalendar.civil.date(from: components) else { return nil }
        self.ordinal = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// Parses ISO `YYYY-MM-DD`; nil for anything else or a day that does not exist.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public var components: (year: Int, month: Int, day: Int) {
        let c = BusinessCalendar.civil.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(ordinal) * 86_400))
        return (c.year!, c.month!, c.day!)
    }

    /// `YYYY-MM-DD`
    public var description: String {
        let c = components
        return String(format: "%04d-%02d-%02d", c.year, c.month, c.day)
    }

    /// `YYYYMMDD`, as used inside billnos.
    public var compact: String { description.replacingOccurrences(of: "-", with: "") }

    public func adding(days: Int) -> BusinessDay { BusinessDay(ordinal: ordinal + days) }
    public func days(since other: BusinessDay) -> Int { ordinal - other.ordinal }
    public static func < (a: BusinessDay, b: BusinessDay) -> Bool { a.ordinal < b.ordinal }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = BusinessDay(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date: \(text)"))
        }
        self = day
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Converts instants to Asia/Shanghai business days and back.
public enum BusinessCalendar {
    /// Asia/Shanghai's offset from UTC.
    public static let utcOffsetSeconds = 8 * 3600

    public static func day(of instant: Date) -> BusinessDay {
        BusinessDay(ordinal: Int(((instant.timeIntervalSince1970 + Double(utcOffsetSeconds)) / 86_400).rounded(.down)))
    }

    /// The instant a business day starts (00:00 in Shanghai), in UTC.
    public static func start(of day: BusinessDay) -> Date {
        Date(timeIntervalSince1970: Double(day.ordinal) * 86_400 - Double(utcOffsetSeconds))
    }

    static let civil: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
