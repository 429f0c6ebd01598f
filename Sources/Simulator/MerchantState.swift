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
    /// Packets before this position have had their 25-hour refund decided.
    private var refundCursor = 0

    init(account: SimAccount) {
        self.account = account
        internAppids()
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
        case .packet(let record):
            guard packets.position(of: record.key) == nil else { return }
            packets.append(record)
            account.balanceFen -= record.amountFen
            totals.sentFen += record.amountFen
            totals.packetCount += 1
            day.roll(to: SimTime.day(record.createdAt))
            if SimTime.day(record.createdAt) == day.day {
                day.sentFen += record.amountFen
                day.users[record.openid, default: .init()].packets += 1
            }
        case .received(let key, let at):
            guard let position = packets.position(of: key), packets[position].settlement == .open else { return }
            packets[position].settlement = .received
            packets[position].receivedAt = at
        case .refunded(let key):
            guard let position = packets.position(of: key), packets[position].settlement == .open else { return }
            packets[position].settlement = .refunded
            account.balanceFen += packets[position].amountFen
            totals.refundedFen += packets[position].amountFen
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
    }

    case account(AccountUpdate)
    case packet(PacketRecord)
    case received(OrderKey, at: Double)
    case refunded(OrderKey)
    case transfer(TransferRecord)
    case transferSettled(OrderKey, TransferRecord.Settlement, at: Double, reason: String)
}
