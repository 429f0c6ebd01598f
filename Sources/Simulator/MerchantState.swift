import Foundation

/// Everything the simulator knows about one merchant, behind that merchant's own lock
/// (`MerchantBook`): the account, money totals, its packets and transfers, today's counters
/// and the minute window. Every change goes through `apply(_:)`, both live and when the
/// journal is replayed, so a replay rebuilds exactly what was answered.
struct MerchantState: Sendable {
    var account: SimAccount
    /// Kept incrementally; never recomputed from records (records age out, totals do not).
    var totals = LedgerTotals()
    var packets = RecordLog<PacketRecord> { $0.key }
    var transfers = RecordLog<TransferRecord> { $0.key }
    var day = DayCounters()
    var window = SendWindow()
    /// Every appid this merchant ever had, in order; packets store an index into it.
    private(set) var appidTable: [String] = []
    private var appidIndex: [String: UInt16] = [:]
    var texts = PacketTexts.Cache()
    /// A service provider's sub-merchants, by sub_mch_id: their money and counters. Kept
    /// when a re-registration drops one (its history stays; new sends for it are refused).
    var subs: [String: SubMerchantLedger] = [:]
    /// Every sub_mch_id this provider ever had, in order, after "" at 0; packets store an
    /// index into it for the sub-merchant (0: a direct packet) and for the fund source that
    /// paid (0: the provider's own balance).
    private(set) var subTable: [String] = [""]
    private var subIndexes: [String: UInt16] = [:]
    /// Packets before this position have had their 25-hour refund decided.
    private var refundCursor = 0

    init(account: SimAccount) {
        self.account = account
        internAppids()
        internSubs()
    }

    /// Money and counts since the account was created.
    struct LedgerTotals: Sendable, Equatable {
        var sentFen: Int64 = 0
        var refundedFen: Int64 = 0
        var transferredFen: Int64 = 0
        var transferRefundedFen: Int64 = 0
        var packetCount: Int64 = 0
        var transferCount: Int64 = 0
    }

    func appid(at index: UInt16) -> String { Int(index) < appidTable.count ? appidTable[Int(index)] : "" }
    func appIndex(_ appid: String) -> UInt16? { appidIndex[appid] }

    private mutating func internAppids() {
        for app in account.spec.appids where appidIndex[app.id] == nil {
            appidIndex[app.id] = UInt16(appidTable.count)
            appidTable.append(app.id)
        }
    }

    /// The sub_mch_id at a packet's index; nil for 0 (direct packet, or the provider's own balance).
    func subId(at index: UInt16) -> String? { index > 0 && Int(index) < subTable.count ? subTable[Int(index)] : nil }
    func subIndex(_ subMchId: String) -> UInt16? { subIndexes[subMchId] }

    private mutating func internSubs() {
        for sub in account.spec.subMerchants ?? [] where subIndexes[sub.subMchId] == nil {
            subIndexes[sub.subMchId] = UInt16(subTable.count)
            subTable.append(sub.subMchId)
        }
    }

    /// Restores the sub-merchant table of a snapshot (indices must not move).
    mutating func restoreSubs(_ table: [String]) {
        subTable = table.isEmpty ? [""] : table
        subIndexes = Dictionary(subTable.enumerated().dropFirst().map { ($1, UInt16($0)) }) { a, _ in a }
        internSubs()
    }

    /// Changes the sub-merchant at `index`, taken out of `subs` meanwhile so that its day
    /// counters are not copied.
    private mutating func withSub<T>(_ index: UInt16, _ body: (inout SubMerchantLedger) -> T) -> T {
        let id = subId(at: index) ?? ""
        var ledger = subs.removeValue(forKey: id) ?? SubMerchantLedger()
        defer { subs[id] = ledger }
        return body(&ledger)
    }

    /// Today's counters and the minute window of whom a packet's limits belong to: the
    /// merchant itself (0) or the sub-merchant at `subject`.
    mutating func withCounters<T>(_ subject: UInt16, _ body: (inout DayCounters, inout SendWindow) -> T) -> T {
        if subject == 0 { return body(&day, &window) }
        return withSub(subject) { body(&$0.day, &$0.window) }
    }

    /// The balance of a fund source: 0 is the provider's own, else the sub-merchant at `fund`.
    func balance(of fund: UInt16) -> Int64 {
        fund == 0 ? account.balanceFen : subId(at: fund).flatMap { subs[$0]?.balanceFen } ?? 0
    }

    private mutating func pay(_ fen: Int64, from fund: UInt16) {
        guard fund > 0 else {
            account.balanceFen -= fen
            totals.sentFen += fen
            totals.packetCount += 1
            return
        }
        withSub(fund) { $0.balanceFen -= fen; $0.sentFen += fen; $0.packetCount += 1 }
    }

    /// An unclaimed packet's money goes back to the source that paid it.
    private mutating func refund(_ fen: Int64, to fund: UInt16) {
        guard fund > 0 else {
            account.balanceFen += fen
            totals.refundedFen += fen
            return
        }
        withSub(fund) { $0.balanceFen += fen; $0.refundedFen += fen }
    }

    /// Restores the appid table of a snapshot (indices must not move).
    mutating func restoreAppids(_ table: [String]) {
        appidTable = table
        appidIndex = Dictionary(table.enumerated().map { ($1, UInt16($0)) }) { a, _ in a }
        internAppids()
    }

    // MARK: the one way state changes

    mutating func apply(_ event: MerchantEvent) {
        switch event {
        case .account(let update):
            account.spec = update.spec
            account.apiKey = update.apiKey
            account.balanceFen = update.balanceFen
            account.fundedFen = update.fundedFen
            account.certificates = update.certificates
            internAppids()
            internSubs()
            for funding in update.subFunding {
                subs[funding.subMchId, default: .init()].balanceFen = funding.balanceFen
                subs[funding.subMchId, default: .init()].fundedFen = funding.fundedFen
            }
        case .packet(let record):
            guard packets.position(of: record.key) == nil else { return }
            packets.append(record)
            pay(record.amountFen, from: record.fundIndex)
            let sentOn = SimTime.day(record.createdAt)
            withCounters(record.subIndex) { day, _ in
                day.roll(to: sentOn)
                if sentOn == day.day {
                    day.sentFen += record.amountFen
                    day.users[record.openid, default: .init()].packets += 1
                }
            }
        case .received(let key, let at):
            guard let position = packets.position(of: key), packets[position].settlement == .open else { return }
            packets[position].settlement = .received
            packets[position].receivedAt = at
        case .refunded(let key):
            guard let position = packets.position(of: key), packets[position].settlement == .open else { return }
            packets[position].settlement = .refunded
            refund(packets[position].amountFen, to: packets[position].fundIndex)
        case .transfer(let record):
            guard transfers.position(of: record.key) == nil else { return }
            transfers.append(record)
            account.balanceFen -= record.amountFen
            totals.transferredFen += record.amountFen
            totals.transferCount += 1
            day.roll(to: SimTime.day(record.createdAt))
            if SimTime.day(record.createdAt) == day.day {
                day.transferFen += record.amountFen
                day.users[record.openid, default: .init()].transfers += 1
                day.users[record.openid, default: .init()].transferFen += record.amountFen
            }
        case .transferSettled(let key, let settlement, let at, let reason):
            guard let position = transfers.position(of: key), transfers[position].settlement == .open else { return }
            transfers[position].settlement = settlement
            transfers[position].settledAt = at
            transfers[position].reason = reason
            if settlement == .failed {
                account.balanceFen += transfers[position].amountFen
                totals.transferRefundedFen += transfers[position].amountFen
            }
        }
    }

    /// Applies what the sim clock made due, oldest first, and forgets what aged out:
    /// unclaimed packets are refunded 25 h after sending (or count as opened when the user
    /// opened them at 2 s); packets and transfers older than WeChat's 30-day query window are
    /// dropped (their money stays in the totals). Amortised O(1) per record.
    mutating func settleDue(now: Double, emit: (MerchantEvent) -> Void) {
        refundCursor = max(refundCursor, packets.startPosition)
        while refundCursor < packets.endPosition, packets[refundCursor].createdAt + PacketRecord.refundedAfter <= now {
            let packet = packets[refundCursor]
            if packet.settlement == .open {
                let event: MerchantEvent = packet.autoReceive
                    ? .received(packet.key, at: packet.createdAt + PacketRecord.autoReceiveAfter)
                    : .refunded(packet.key)
                apply(event)
                emit(event)
            }
            refundCursor += 1
        }
        let horizon = now - SimRules.Defaults.queryWindowSeconds
        while let oldest = packets.first, oldest.createdAt <= horizon {
            packets.removeFirst()
        }
        while let oldest = transfers.first, oldest.createdAt <= horizon { transfers.removeFirst() }
    }
}

/// A change to one merchant's state: what the journal records and replays.
enum MerchantEvent: Sendable {
    struct AccountUpdate: Sendable {
        let spec: SimAccountSpec
        let apiKey: String
        let balanceFen: Int64
        let fundedFen: Int64
        let certificates: [String]
        /// Each sub-merchant's balance and funding as this registration sets them.
        var subFunding: [SubFunding] = []
    }

    struct SubFunding: Sendable {
        let subMchId: String
        let balanceFen: Int64
        let fundedFen: Int64
    }

    case account(AccountUpdate)
    case packet(PacketRecord)
    case received(OrderKey, at: Double)
    case refunded(OrderKey)
    case transfer(TransferRecord)
    case transferSettled(OrderKey, TransferRecord.Settlement, at: Double, reason: String)
}
