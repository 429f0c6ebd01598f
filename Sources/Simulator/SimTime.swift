import WeChatPay

/// Sim-clock instants as WeChat writes them, Beijing time (UTC+8, no daylight saving).
/// Formatted by arithmetic: this runs on every answer and must not go through Calendar.
enum SimTime {
    /// `yyyy-MM-dd HH:mm:ss`
    static func beijing(_ unixSeconds: Double) -> String {
        let (y, m, d, hh, mm, ss) = parts(unixSeconds)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2)) \(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2))"
    }

    /// `yyyyMMddHHmmss` (send_time in sendredpack answers).
    static func compact(_ unixSeconds: Double) -> String {
        let (y, m, d, hh, mm, ss) = parts(unixSeconds)
        return pad(y, 4) + pad(m, 2) + pad(d, 2) + pad(hh, 2) + pad(mm, 2) + pad(ss, 2)
    }

    /// The Asia/Shanghai day ordinal (days since 1970-01-01) of an instant.
    static func day(_ unixSeconds: Double) -> Int {
        let local = Int(unixSeconds.rounded(.down)) + BusinessCalendar.utcOffsetSeconds
        return local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    private static func parts(_ unixSeconds: Double) -> (Int, Int, Int, Int, Int, Int) {
        let local = Int(unixSeconds.rounded(.down)) + BusinessCalendar.utcOffsetSeconds
        let days = day(unixSeconds)
        let second = local - days * 86_400
        // Civil date from days since the epoch (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, second / 3600, second % 3600 / 60, second % 60)
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
