import WeChatPay

/// One red packet as the simulator stores it: fixed fields only, so a million of them fit
/// in well under 300 MB. Status is derived from the sim clock (`status(at:)`); only what
/// moves money or cannot be derived is stored: who opened it and when, or the refund.
struct PacketRecord: Sendable {
    enum Kind: UInt8, Sendable { case normal = 0, group = 1, miniProgram = 2 }
    /// What happened to the money; `open` means still SENDING/SENT/RFUND_ING by age.
    enum Settlement: UInt8, Sendable { case open = 0, received = 1, refunded = 2 }

    let key: OrderKey
    let compactOpenid: CompactText
    var openid: String { compactOpenid.description }
    /// wishing / act_name / remark, shared between packets of one campaign.
    let texts: PacketTexts
    let amountFen: Int64
    /// Sim-clock Unix seconds.
    let createdAt: Double
    /// Source of detail_id and send_listid; also seeds the group split.
    let sequence: Int64
    /// The request's business fields (all but nonce_str and sign), hashed: re-entrancy compares it.
    let fingerprint: Fingerprint
    /// When it was opened (0 while not).
    var receivedAt: Double
    /// Index into the merchant's appid table.
    let appIndex: UInt16
    /// Service-provider mode: the sub-merchant it was sent for, and the fund source that paid
    /// (`consume_mch_id`, else the sub-merchant) — indices into `MerchantState.subTable`,
    /// 0 meaning a direct packet and the provider's own balance.
    let subIndex: UInt16
    let fundIndex: UInt16
    let totalNum: UInt8
    /// kind (bits 0–1), autoReceive (bit 2) and settlement (bits 3–4) share one byte, which
    /// keeps the record at 136 bytes with the two service-provider indices.
    private var flags: UInt8

    var kind: Kind { Kind(rawValue: flags & 3) ?? .normal }
    /// Opened by its user two seconds after sending (the account's receive probability).
    var autoReceive: Bool { flags & 4 != 0 }
    var settlement: Settlement {
        get { Settlement(rawValue: flags >> 3 & 3) ?? .open }
        set { flags = flags & ~0x18 | newValue.rawValue << 3 }
    }

    init(key: OrderKey, compactOpenid: CompactText, texts: PacketTexts, amountFen: Int64, createdAt: Double, sequence: Int64,
         fingerprint: Fingerprint, receivedAt: Double, appIndex: UInt16, subIndex: UInt16, fundIndex: UInt16, totalNum: UInt8,
         kind: Kind, autoReceive: Bool, settlement: Settlement) {
        self.key = key
        self.compactOpenid = compactOpenid
        self.texts = texts
        self.amountFen = amountFen
        self.createdAt = createdAt
        self.sequence = sequence
        self.fingerprint = fingerprint
        self.receivedAt = receivedAt
        self.appIndex = appIndex
        self.subIndex = subIndex
        self.fundIndex = fundIndex
        self.totalNum = totalNum
        self.flags = kind.rawValue | (autoReceive ? 4 : 0) | settlement.rawValue << 3
    }

    /// WeChat's unclaimed-packet schedule (seconds after sending).
    static let sentAfter: Double = 1
    static let autoReceiveAfter: Double = 2
    static let refundingAfter: Double = 86_400
    static let refundedAfter: Double = 90_000

    var detailId: String { SimID.make(prefix: "1000041701", sequence) }
    var sendListId: String { SimID.make(prefix: "1000041702", sequence) }
    var refundedAt: Double { createdAt + Self.refundedAfter }

    /// The status gethbinfo reports at `now` (refunds are applied by `MerchantState.settleDue` first).
    func status(at now: Double) -> RedPacketStatus {
        switch settlement {
        case .received: return .received
        case .refunded: return .refunded
        case .open:
            let age = now - createdAt
            if age < Self.sentAfter { return .sending }
            if autoReceive, age >= Self.autoReceiveAfter { return .received }
            if age < Self.refundingAfter { return .sent }
            return age < Self.refundedAfter ? .refunding : .refunded
        }
    }

    /// When it was opened, if it was by `now`.
    func openedAt(_ now: Double) -> Double? {
        if settlement == .received { return receivedAt }
        if settlement == .open, autoReceive, now - createdAt >= Self.autoReceiveAfter { return createdAt + Self.autoReceiveAfter }
        return nil
    }

    /// The shares of the receivers: one for a normal packet; for a group packet a random
    /// split (1 fen minimum each) seeded by the packet, so it needs no storage and replays identically.
    func shares() -> [Int64] {
        guard kind == .group, totalNum > 1 else { return [amountFen] }
        var random = SplitMix64(seed: UInt64(bitPattern: sequence))
        var shares = [Int64](repeating: 1, count: Int(totalNum))
        var left = amountFen - Int64(totalNum)
        for i in 0..<(Int(totalNum) - 1) where left > 0 {
            let take = Int64(random.next() % UInt64(left + 1))
            shares[i] += take
            left -= take
        }
        shares[Int(totalNum) - 1] += left
        return shares
    }

    func encode(_ w: inout BinaryWriter) {
        w.key(key)
        w.string(openid)
        w.string(texts.wishing)
        w.string(texts.actName)
        w.string(texts.remark)
        w.i64(amountFen)
        w.f64(createdAt)
        w.i64(sequence)
        w.u64(fingerprint.high)
        w.u64(fingerprint.low)
        w.f64(receivedAt)
        w.u32(UInt32(appIndex))
        w.u8(totalNum)
        w.u8(kind.rawValue)
        w.bool(autoReceive)
        w.u8(settlement.rawValue)
        // Last, so that records written before service providers existed read as direct.
        w.u32(UInt32(subIndex))
        w.u32(UInt32(fundIndex))
    }

    static func decode(_ r: inout BinaryReader, texts: inout PacketTexts.Cache) throws(MalformedRecord) -> PacketRecord {
        let key = try r.key()
        let openid = try r.string()
        let shared = texts.intern(wishing: try r.string(), actName: try r.string(), remark: try r.string())
        let amount = try r.i64(), createdAt = try r.f64(), sequence = try r.i64()
        let fingerprint = Fingerprint(high: try r.u64(), low: try r.u64())
        let receivedAt = try r.f64()
        let appIndex = try r.u32()
        let totalNum = try r.u8()
        guard let kind = Kind(rawValue: try r.u8()) else { throw MalformedRecord(reason: "packet kind") }
        let auto = try r.bool()
        guard let settlement = Settlement(rawValue: try r.u8()) else { throw MalformedRecord(reason: "packet settlement") }
        let subIndex = r.isAtEnd ? 0 : try r.u32(), fundIndex = r.isAtEnd ? 0 : try r.u32()
        return PacketRecord(key: key, compactOpenid: CompactText(openid), texts: shared, amountFen: amount, createdAt: createdAt, sequence: sequence,
                            fingerprint: fingerprint, receivedAt: receivedAt, appIndex: UInt16(truncatingIfNeeded: appIndex),
                            subIndex: UInt16(truncatingIfNeeded: subIndex), fundIndex: UInt16(truncatingIfNeeded: fundIndex),
                            totalNum: totalNum, kind: kind, autoReceive: auto, settlement: settlement)
    }
}

/// A packet's texts, one object per distinct campaign wording, referenced by every packet
/// that uses it (8 bytes a packet instead of three strings).
final class PacketTexts: Sendable {
    let wishing: String
    let actName: String
    let remark: String

    init(wishing: String, actName: String, remark: String) {
        self.wishing = wishing
        self.actName = actName
        self.remark = remark
    }

    /// Recently seen wordings. Bounded: when full it starts over; packets keep their own
    /// reference, so forgetting costs at most a duplicate, never a wrong text.
    struct Cache: Sendable {
        private var entries: [String: PacketTexts] = [:]
        static let limit = 4096

        mutating func intern(wishing: String, actName: String, remark: String) -> PacketTexts {
            let id = wishing + "\u{1}" + actName + "\u{1}" + remark
            if let known = entries[id] { return known }
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            let texts = PacketTexts(wishing: wishing, actName: actName, remark: remark)
            entries[id] = texts
            return texts
        }
    }
}

/// 128 bits of SHA-256 over a request's canonical business fields.
struct Fingerprint: Hashable, Sendable {
    let high: UInt64
    let low: UInt64
}

/// WeChat-looking ids: a 10-digit prefix and an 18-digit sequence.
enum SimID {
    static func make(prefix: String, _ sequence: Int64) -> String {
        let digits = String(sequence)
        return prefix + String(repeating: "0", count: max(0, 18 - digits.count)) + digits
    }
}

/// A small seeded generator (group splits must replay identically).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
