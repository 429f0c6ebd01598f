import Foundation
import OpenAPIRuntime

/// Dates on the wire (`created_at`, `created_gte`, …) as RFC 3339 (openapi.yaml's
/// `format: date-time`): reads every `date-time` of RFC 3339 §5.6 — any number of
/// fractional digits, offsets up to ±23:59, lower-case `t`/`z`, a leap second at 23:59:60
/// UTC — and, as before, the ISO 8601 offsets `±hhmm` and `±hh`; refuses a day the month
/// does not have, 24:00 and any other second 60. Writes UTC with milliseconds. (The
/// runtime's default, `.iso8601`, refuses fractions; Foundation's ISO 8601 parser refused
/// offsets past ±18:00 and took February 30.) Writing rounds to the nearest whole
/// millisecond in integer arithmetic, so writing what was read gives the same text (a
/// stored answer, replayed, is byte for byte the first).
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
        guard let date = Self.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 date-time"))
        }
        return date
    }

    /// `YYYY-MM-DD"T"hh:mm:ss[.fraction](Z | ±hh:mm | ±hhmm | ±hh)`, nil for anything else.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start >= 0, start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
        guard let year = number(0, 4), byte(4) == UInt8(ascii: "-"), let month = number(5, 2), byte(7) == UInt8(ascii: "-"),
              let day = number(8, 2), byte(10) == UInt8(ascii: "T") || byte(10) == UInt8(ascii: "t"),
              let hour = number(11, 2), byte(13) == UInt8(ascii: ":"), let minute = number(14, 2), byte(16) == UInt8(ascii: ":"),
              let second = number(17, 2) else { return nil }
        var index = 19
        var fraction = 0.0
        if byte(index) == UInt8(ascii: ".") {
            let start = index + 1
            index = start
            while let digit = byte(index), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) { index += 1 }
            guard index > start, let value = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self)) else { return nil }
            fraction = value
        }
        let offsetMinutes: Int
        switch byte(index) {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            offsetMinutes = 0
            index += 1
        case let sign? where sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"):
            guard let hours = number(index + 1, 2) else { return nil }
            var minutes = 0
            index += 3
            if byte(index) == UInt8(ascii: ":") {
                guard let value = number(index + 1, 2) else { return nil }
                (minutes, index) = (value, index + 3)
            } else if let value = number(index, 2) {
                (minutes, index) = (value, index + 2)
            }
            guard hours <= 23, minutes <= 59 else { return nil }
            offsetMinutes = (sign == UInt8(ascii: "-") ? -1 : 1) * (hours * 60 + minutes)
        default:
            return nil
        }
        guard index == bytes.count, (1...12).contains(month), day >= 1, day <= Self.days(inMonth: month, of: year),
              hour <= 23, minute <= 59 else { return nil }
        // A leap second only where one can be: 23:59:60 in UTC (read as the second after).
        let utcMinuteOfDay = ((hour * 60 + minute - offsetMinutes) % 1440 + 1440) % 1440
        guard second <= 59 || (second == 60 && utcMinuteOfDay == 1439) else { return nil }
        let seconds = Self.days(fromCivil: Int64(year), Int64(month), Int64(day)) * 86_400
            + Int64(hour * 3600 + minute * 60 + second - offsetMinutes * 60)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Proleptic Gregorian date → days since 1970-01-01 (Howard Hinnant's algorithm; the
    /// inverse of `civil(fromDays:)`).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
