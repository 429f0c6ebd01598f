import WeChatPay

/// Today's counters of one merchant (Asia/Shanghai day): per-user counts and amounts and the
/// merchant's totals. Only one day is kept: the first use on a later day starts afresh, so
/// counters of past days cost nothing.
struct DayCounters: Sendable {
    struct User: Sendable {
        var packets: Int32 = 0
        var transfers: Int32 = 0
        var transferFen: Int64 = 0
    }

    private(set) var day: Int = .min
    var sentFen: Int64 = 0
    var transferFen: Int64 = 0
    var users: [String: User] = [:]

    /// Moves to `day` if it is later than the one counted.
    mutating func roll(to day: Int) {
        if day > self.day { self = DayCounters(day: day) }
    }

    init(day: Int = .min) { self.day = day }

    /// The day counted (ISO), nil before the first count.
    var dayName: String? { day == .min ? nil : BusinessDay(ordinal: day).description }

    func encode(_ w: inout BinaryWriter) {
        w.i64(Int64(day))
        w.i64(sentFen)
        w.i64(transferFen)
        w.varint(users.count)
        for (openid, user) in users {
            w.string(openid)
            w.u32(UInt32(bitPattern: user.packets))
            w.u32(UInt32(bitPattern: user.transfers))
            w.i64(user.transferFen)
        }
    }

    static func decode(_ r: inout BinaryReader) throws(MalformedRecord) -> DayCounters {
        var counters = DayCounters(day: Int(try r.i64()))
        counters.sentFen = try r.i64()
        counters.transferFen = try r.i64()
        for _ in 0..<(try r.varint()) {
            let openid = try r.string()
            counters.users[openid] = User(packets: Int32(bitPattern: try r.u32()), transfers: Int32(bitPattern: try r.u32()), transferFen: try r.i64())
        }
        return counters
    }
}
