import WeChatPay

/// One packet as the control API shows it (JSON, snake_case).
struct PacketView: Encodable, Sendable {
    let mchId: String
    let billno: String
    let kind: String
    let status: String
    let amountFen: Int64
    let openid: String
    let receivedFen: Int64
    let refundAmountFen: Int64?
    let sendListid: String
    let createdAt: String
    /// Service-provider mode: the sub-merchant it was sent for (absent for a direct packet).
    let subMchId: String?
    /// Whose balance paid it, and gets it back if unclaimed: mch_id's or a sub-merchant's.
    let fundMchId: String

    init(mchId: String, _ p: PacketRecord, state: MerchantState, now: Double) {
        self.mchId = mchId
        subMchId = state.subId(at: p.subIndex)
        fundMchId = state.subId(at: p.fundIndex) ?? mchId
        billno = p.key.description
        kind = switch p.kind {
        case .normal: "normal"
        case .group: "group"
        case .miniProgram: "miniprogram"
        }
        let status = p.status(at: now)
        self.status = status.rawValue
        amountFen = p.amountFen
        openid = p.openid
        receivedFen = p.openedAt(now) == nil ? 0 : p.amountFen
        refundAmountFen = status == .refunded ? p.amountFen : nil
        sendListid = p.sendListId
        createdAt = SimTime.beijing(p.createdAt)
    }
}

/// One transfer as the control API shows it.
struct TransferView: Encodable, Sendable {
    let mchId: String
    let partnerTradeNo: String
    let status: String
    let amountFen: Int64
    let openid: String
    let paymentNo: String
    let reason: String?
    let createdAt: String

    init(mchId: String, _ t: TransferRecord, now: Double) {
        self.mchId = mchId
        partnerTradeNo = t.key.description
        let status = t.status(at: now)
        self.status = status.rawValue
        amountFen = t.amountFen
        openid = t.openid
        paymentNo = t.paymentNo
        reason = status == .failed ? t.reason : nil
        createdAt = SimTime.beijing(t.createdAt)
    }
}

/// Every fen of one account, kept incrementally (pruned records still count):
/// funded = balance + sent − refunded + transferred − transfer_refunded.
struct AccountSummary: Encodable, Sendable, Equatable {
    let mchId: String
    let balanceFen: Int64
    let fundedFen: Int64
    let sentFen: Int64
    let refundedFen: Int64
    let transferredFen: Int64
    /// Transfers that FAILED: their money came back.
    let transferRefundedFen: Int64
    let packetCount: Int64
    let transferCount: Int64
    /// Records still held (inside the 30-day query window).
    let storedPackets: Int
    let storedTransfers: Int
    /// Users with counters today, and that day (counters of earlier days are gone).
    let counterUsers: Int
    let counterDay: String?
    /// A service provider's sub-merchants, each a fund source of its own (absent for a
    /// direct merchant). The totals above are the provider's own balance's: a packet counts
    /// where its money came from.
    let subMerchants: [SubMerchantSummary]?

    init(mchId: String, _ s: MerchantState) {
        self.mchId = mchId
        balanceFen = s.account.balanceFen
        fundedFen = s.account.fundedFen
        sentFen = s.totals.sentFen
        refundedFen = s.totals.refundedFen
        transferredFen = s.totals.transferredFen
        transferRefundedFen = s.totals.transferRefundedFen
        packetCount = s.totals.packetCount
        transferCount = s.totals.transferCount
        storedPackets = s.packets.count
        storedTransfers = s.transfers.count
        counterUsers = s.day.users.count
        counterDay = s.day.dayName
        subMerchants = s.subs.isEmpty ? nil : s.subs.sorted { $0.key < $1.key }.map { SubMerchantSummary(subMchId: $0.key, $0.value) }
    }
}

/// One sub-merchant's money, kept incrementally: funded = balance + sent − refunded.
struct SubMerchantSummary: Encodable, Sendable, Equatable {
    let subMchId: String
    let balanceFen: Int64
    let fundedFen: Int64
    let sentFen: Int64
    let refundedFen: Int64
    let packetCount: Int64
    let counterUsers: Int
    let counterDay: String?

    init(subMchId: String, _ s: SubMerchantLedger) {
        self.subMchId = subMchId
        balanceFen = s.balanceFen
        fundedFen = s.fundedFen
        sentFen = s.sentFen
        refundedFen = s.refundedFen
        packetCount = s.packetCount
        counterUsers = s.day.users.count
        counterDay = s.day.dayName
    }
}

/// One page of `GET /_sim/ledger`: records of one kind, in merchant then creation order.
struct LedgerPage: Encodable, Sendable {
    let accounts: [AccountSummary]
    let kind: String
    let packets: [PacketView]
    let transfers: [TransferView]
    /// Pass back as `cursor` for the next page; null when this page is the last.
    let nextCursor: String?

    enum CodingKeys: String, CodingKey { case accounts, kind, packets, transfers, nextCursor = "next_cursor" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accounts, forKey: .accounts)
        try c.encode(kind, forKey: .kind)
        try c.encode(packets, forKey: .packets)
        try c.encode(transfers, forKey: .transfers)
        if let nextCursor { try c.encode(nextCursor, forKey: .nextCursor) } else { try c.encodeNil(forKey: .nextCursor) }
    }
}

extension SimLedger {
    /// Totals of every account, after applying what became due: O(merchants).
    func summary() -> [AccountSummary] {
        let now = clock.now
        return books().map { book in
            book.state.withLock { state in
                state.settleDue(now: now) { record(book.mchId, $0) }
                return AccountSummary(mchId: book.mchId, state)
            }
        }
    }

    enum LedgerKind: String { case packets, transfers }

    /// A cursor is `mch_id:position` — the next record's absolute position in that merchant's
    /// log. Positions never move, so a walk sees every record that exists throughout it once.
    func page(kind: LedgerKind, limit: Int, cursor: String?, mchId: String?, number: String?) -> (packets: [PacketView], transfers: [TransferView], next: String?)? {
        var start: (mchId: String, position: Int)?
        if let cursor {
            guard let colon = cursor.lastIndex(of: ":"), let position = Int(cursor[cursor.index(after: colon)...]) else { return nil }
            start = (String(cursor[..<colon]), position)
        }
        let now = clock.now
        var packets: [PacketView] = []
        var transfers: [TransferView] = []
        var taken = 0
        var next: String?
        for book in books() where mchId == nil || book.mchId == mchId {
            if let start, book.mchId < start.mchId { continue }
            let from = start.map { $0.mchId == book.mchId ? $0.position : 0 } ?? 0
            book.state.withLock { state in
                state.settleDue(now: now) { record(book.mchId, $0) }
                let (start, end) = kind == .packets ? (state.packets.startPosition, state.packets.endPosition) : (state.transfers.startPosition, state.transfers.endPosition)
                var (lower, upper) = (max(from, start), max(max(from, start), end))
                if let number {
                    let key = OrderKey(number)
                    let found = key.flatMap { kind == .packets ? state.packets.position(of: $0) : state.transfers.position(of: $0) }
                    (lower, upper) = found.map { $0 >= from ? ($0, $0 + 1) : (0, 0) } ?? (0, 0)
                }
                var position = lower
                while position < upper, taken < limit {
                    defer { position += 1 }
                    switch kind {
                    case .packets: packets.append(PacketView(mchId: book.mchId, state.packets[position], state: state, now: now))
                    case .transfers: transfers.append(TransferView(mchId: book.mchId, state.transfers[position], now: now))
                    }
                    taken += 1
                    next = "\(book.mchId):\(position + 1)"
                }
            }
            if taken >= limit { break }
        }
        return (packets, transfers, taken >= limit ? next : nil)
    }
}
