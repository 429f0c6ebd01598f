/// One sub-merchant's money and counters, kept inside its provider's `MerchantState` (under
/// the provider's lock: SP-mode calls are the provider's). Its balance pays the packets it
/// funds (funded = balance + sent − refunded, as for an account); its day counters and
/// minute window hold the limits of the packets sent for it, whoever paid them.
struct SubMerchantLedger: Sendable {
    var balanceFen: Int64 = 0
    /// Everything ever put on the balance (initial + top-ups), for conservation checks.
    var fundedFen: Int64 = 0
    var sentFen: Int64 = 0
    var refundedFen: Int64 = 0
    var packetCount: Int64 = 0
    var day = DayCounters()
    var window = SendWindow()

    /// The minute window is not written, as for an account: after a restart it starts empty.
    func encode(_ w: inout BinaryWriter) {
        for v in [balanceFen, fundedFen, sentFen, refundedFen, packetCount] { w.i64(v) }
        day.encode(&w)
    }

    static func decode(_ r: inout BinaryReader) throws(MalformedRecord) -> SubMerchantLedger {
        var ledger = SubMerchantLedger(balanceFen: try r.i64(), fundedFen: try r.i64(), sentFen: try r.i64(), refundedFen: try r.i64(),
                                       packetCount: try r.i64())
        ledger.day = try DayCounters.decode(&r)
        return ledger
    }
}
