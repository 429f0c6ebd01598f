import Foundation
import OpenAPIRuntime

/// Dates on the wire (`created_at`, `created_gte`, …) as RFC 3339: accepts fractional
/// seconds, offsets and lower-case `t`/`z`, writes UTC with milliseconds. The runtime's
/// default (`.iso8601`) refuses `2025-01-02T03:04:05.123Z`, which RFC 3339 allows.
/// Writing rounds to the nearest whole millisecond in integer arithmetic, so writing what
/// was read gives the same text (a stored answer, replayed, is byte for byte the first).
struct RFC3339DateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = millis.quotientAndRemainder(dividingBy: 1000)
        let adjusted = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let (days, secondOfDay) = adjusted.0.quotientAndRemainder(dividingBy: 86_400)
        let (day, second) = secondOfDay < 0 ? (days - 1, secondOfDay + 86_400) : (days, secondOfDay)
        let civil = Self.civil(fromDays: day)
        func pad(_ n: Int64, _ width: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(civil.year, 4))-\(pad(civil.month, 2))-\(pad(civil.day, 2))T\(pad(second / 3600, 2)):\(pad(second % 3600 / 60, 2)):"
            + "\(pad(second % 60, 2)).\(pad(adjusted.1, 3))Z"
    }

    /// Days since 1970-01-01 → proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    func decode(_ text: String) throws -> Date {
        // The format has no other letters than T and Z, so upper-casing is safe.
        guard let date = try? Self.style.parse(text.uppercased()) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 date-time"))
        }
        return date
    }

    /// Parses with and without fractional seconds; formats with milliseconds.
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
