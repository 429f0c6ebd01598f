/// One enterprise payment (企业付款到零钱) as the simulator stores it. Accepted money is
/// debited at once; the transfer is PROCESSING until `settleAt` on the sim clock and SUCCESS
/// after, unless the control API settled it first (SUCCESS now, or FAILED with the money back).
struct TransferRecord: Sendable {
    enum Settlement: UInt8, Sendable { case open = 0, succeeded = 1, failed = 2 }
    enum Status: String, Sendable { case processing = "PROCESSING", success = "SUCCESS", failed = "FAILED" }

    let key: OrderKey
    let openid: String
    let desc: String
    let amountFen: Int64
    let createdAt: Double
    let settleAt: Double
    let sequence: Int64
    let fingerprint: Fingerprint
    let appIndex: UInt16
    var settlement: Settlement
    /// When the control API settled it (0 while open).
    var settledAt: Double
    /// Why it failed (empty unless failed).
    var reason: String

    var paymentNo: String { SimID.make(prefix: "1000018301", sequence) }

    func status(at now: Double) -> Status {
        switch settlement {
        case .succeeded: .success
        case .failed: .failed
        case .open: now >= settleAt ? .success : .processing
        }
    }

    /// When it succeeded, if it has by `now`.
    func paidAt(_ now: Double) -> Double? {
        switch settlement {
        case .succeeded: settledAt
        case .failed: nil
        case .open: now >= settleAt ? settleAt : nil
        }
    }

    func encode(_ w: inout BinaryWriter) {
        w.key(key)
        w.string(openid)
        w.string(desc)
        w.i64(amountFen)
        w.f64(createdAt)
        w.f64(settleAt)
        w.i64(sequence)
        w.u64(fingerprint.high)
        w.u64(fingerprint.low)
        w.u32(UInt32(appIndex))
        w.u8(settlement.rawValue)
        w.f64(settledAt)
        w.string(reason)
    }

    static func decode(_ r: inout BinaryReader) throws(MalformedRecord) -> TransferRecord {
        let key = try r.key(), openid = try r.string(), desc = try r.string()
        let amount = try r.i64(), createdAt = try r.f64(), settleAt = try r.f64(), sequence = try r.i64()
        let fingerprint = Fingerprint(high: try r.u64(), low: try r.u64())
        let appIndex = UInt16(truncatingIfNeeded: try r.u32())
        guard let settlement = Settlement(rawValue: try r.u8()) else { throw MalformedRecord(reason: "transfer settlement") }
        return TransferRecord(key: key, openid: openid, desc: desc, amountFen: amount, createdAt: createdAt, settleAt: settleAt,
                              sequence: sequence, fingerprint: fingerprint, appIndex: appIndex, settlement: settlement,
                              settledAt: try r.f64(), reason: try r.string())
    }
}
