import WeChatPay

/// One red packet as WeChat keeps it.
struct SimPacket: Codable, Sendable {
    enum Kind: String, Codable, Sendable { case normal, group, miniProgram = "miniprogram" }

    let mchId: String
    let billno: String
    let appid: String
    let openid: String
    let kind: Kind
    let amountFen: Int64
    let totalNum: Int
    /// Every business field of the original request, canonicalised: re-entrancy compares it.
    let fingerprint: String
    /// Sim-clock Unix seconds.
    let createdAt: Double
    let detailId: String
    let sendListId: String
    let wishing: String
    let actName: String
    let remark: String
    var status: RedPacketStatus
    var autoReceive: Bool
    var receivers: [Receiver] = []
    var refundAmountFen: Int64?
    var refundedAt: Double?

    struct Receiver: Codable, Sendable {
        let openid: String
        let amountFen: Int64
        let at: Double
    }
}

/// One enterprise payment (transfer) as WeChat keeps it.
struct SimTransfer: Codable, Sendable {
    let mchId: String
    let tradeNo: String
    let appid: String
    let openid: String
    let amountFen: Int64
    let fingerprint: String
    let createdAt: Double
    let paymentNo: String
    let desc: String
}

/// A sliding 60-second window of send times for the per-minute limit.
struct SendWindow: Sendable {
    private var times: [Double] = []
    private var head = 0

    mutating func count(at now: Double) -> Int {
        while head < times.count, times[head] <= now - 60 { head += 1 }
        if head > 4096 { times.removeFirst(head); head = 0 }
        return times.count - head
    }

    mutating func record(_ now: Double) { times.append(now) }
}

/// Sim-clock instants as WeChat writes them: `yyyy-MM-dd HH:mm:ss`, Beijing time.
enum SimTime {
    static func beijing(_ unixSeconds: Double) -> String {
        let local = Int(unixSeconds.rounded(.down)) + BusinessCalendar.utcOffsetSeconds
        let day = BusinessDay(ordinal: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
        let second = local - day.ordinal * 86_400
        return "\(day) " + [second / 3600, second % 3600 / 60, second % 60].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
    }
}
