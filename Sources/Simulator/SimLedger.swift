import Foundation
import Synchronization
import WeChatPay

/// All of the simulated WeChat's state behind one lock: accounts, packets, transfers,
/// counters and the clock. Every API call is one critical section, so checks and the
/// debit they guard are atomic — as money movement must be.
public final class SimLedger: Sendable {
    let state: Mutex<State>

    /// What is persisted (counters are rebuilt from it on load).
    struct Persisted: Codable, Sendable {
        var accounts: [String: SimAccount] = [:]
        var packets: [String: SimPacket] = [:]
        var transfers: [String: SimTransfer] = [:]
        /// Seconds added to the real clock.
        var clockOffset: Double = 0
        var sequence: Int64 = 0
        /// Issued client certificates (PEM) → mch_id.
        var clientCertificates: [String: String] = [:]
    }

    struct State: Sendable {
        var data: Persisted
        var byCertificate: [[UInt8]: String] = [:]
        var windows: [String: SendWindow] = [:]
        /// "mch/openid/day" → packets today (and "t/mch/openid/day" for transfers).
        var perUserDay: [String: Int] = [:]
        /// "mch/day" → fen sent today.
        var dailyAmount: [String: Int64] = [:]
        var dirty = false

        var now: Double { Date().timeIntervalSince1970 + data.clockOffset }
        var today: BusinessDay { BusinessCalendar.day(of: Date(timeIntervalSince1970: now)) }

        mutating func nextID(prefix: String) -> String {
            data.sequence += 1
            let digits = String(data.sequence)
            return prefix + String(repeating: "0", count: max(0, 18 - digits.count)) + digits
        }
    }

    init(_ persisted: Persisted) {
        var state = State(data: persisted)
        for (pem, mch) in persisted.clientCertificates {
            if let der = try? SimulatorCA.der(of: pem) { state.byCertificate[der] = mch }
        }
        for packet in persisted.packets.values {
            let day = BusinessCalendar.day(of: Date(timeIntervalSince1970: packet.createdAt)).ordinal
            state.perUserDay["\(packet.mchId)/\(packet.openid)/\(day)", default: 0] += 1
            state.dailyAmount["\(packet.mchId)/\(day)", default: 0] += packet.amountFen
        }
        self.state = Mutex(state)
    }

    // MARK: control

    /// Creates or updates an account and issues it a client certificate.
    func upsert(_ spec: SimAccountSpec, certificate: SimulatorCA.Issued, der: [UInt8]) -> (apiKey: String, created: Bool) {
        state.withLock { state in
            let existing = state.data.accounts[spec.mchId]
            let apiKey = spec.apiKey ?? existing?.apiKey ?? Signer.nonce()
            var account = existing ?? SimAccount(spec: spec, apiKey: apiKey, balanceFen: spec.balanceFen, fundedFen: spec.balanceFen)
            if let existing {
                // Re-registering sets the balance to what the spec says; the difference is a top-up or withdrawal.
                account.fundedFen = existing.fundedFen + (spec.balanceFen - existing.balanceFen)
                account.balanceFen = spec.balanceFen
            }
            account.spec = spec
            account.apiKey = apiKey
            state.data.accounts[spec.mchId] = account
            state.data.clientCertificates[certificate.certificatePEM] = spec.mchId
            state.byCertificate[der] = spec.mchId
            state.dirty = true
            return (apiKey, existing == nil)
        }
    }

    func account(_ mchId: String) -> SimAccount? { state.withLock { $0.data.accounts[mchId] } }

    /// Moves the sim clock forward and applies every transition that became due.
    func advanceClock(by seconds: Double) -> Double {
        state.withLock { state in
            state.data.clockOffset += max(0, seconds)
            state.sweep()
            state.dirty = true
            return state.now
        }
    }

    var now: Double { state.withLock { $0.now } }

    /// The user opens the packet now. Nil when unknown; an error text when not openable.
    func receive(mchId: String, billno: String) -> Result<SimPacket, ReceiveRefusal>? {
        state.withLock { state in
            let key = "\(mchId)/\(billno)"
            guard state.data.packets[key] != nil else { return nil }
            state.advance(key)
            guard let packet = state.data.packets[key], packet.status == .sending || packet.status == .sent else {
                return .failure(ReceiveRefusal(status: state.data.packets[key]!.status))
            }
            state.open(key)
            state.dirty = true
            return .success(state.data.packets[key]!)
        }
    }

    struct ReceiveRefusal: Error { let status: RedPacketStatus }

    /// Applies due transitions, then copies the state (for the ledger view and persistence).
    func snapshot(sweep: Bool) -> Persisted {
        state.withLock { state in
            if sweep { state.sweep() }
            return state.data
        }
    }

    /// The state to persist, if it changed since the last call.
    func takeDirty() -> Persisted? {
        state.withLock { state in
            guard state.dirty else { return nil }
            state.dirty = false
            return state.data
        }
    }
}

extension SimLedger.State {
    /// Lifecycle on the sim clock: SENDING → SENT after 1 s; opened at 2 s when the account's
    /// receive probability said so; unclaimed → RFUND_ING at 24 h → REFUND at 25 h, money back.
    mutating func advance(_ key: String) {
        guard var packet = data.packets[key], !packet.status.isFinal else { return }
        let age = now - packet.createdAt
        if packet.status == .sending, age >= 1 { packet.status = .sent }
        data.packets[key] = packet
        if packet.status == .sent, packet.autoReceive, age >= 2 {
            open(key)
            return
        }
        if packet.status == .sent, age >= 86_400 { packet.status = .refunding }
        if packet.status == .refunding, age >= 90_000 {
            let received = packet.receivers.reduce(0) { $0 + $1.amountFen }
            let refund = packet.amountFen - received
            packet.status = .refunded
            packet.refundAmountFen = refund
            packet.refundedAt = packet.createdAt + 90_000
            data.accounts[packet.mchId]?.balanceFen += refund
        }
        data.packets[key] = packet
        dirty = true
    }

    mutating func sweep() {
        for (key, packet) in data.packets where !packet.status.isFinal { advance(key) }
    }

    /// The receiver(s) open the packet; a group packet is split randomly, 1 fen minimum each.
    mutating func open(_ key: String) {
        guard var packet = data.packets[key] else { return }
        let at = now
        if packet.kind == .group {
            var shares = [Int64](repeating: 1, count: packet.totalNum)
            var left = packet.amountFen - Int64(packet.totalNum)
            for i in 0..<(packet.totalNum - 1) {
                let take = left > 0 ? Int64.random(in: 0...left) : 0
                shares[i] += take
                left -= take
            }
            shares[packet.totalNum - 1] += left
            packet.receivers = shares.enumerated().map { index, fen in
                SimPacket.Receiver(openid: index == 0 ? packet.openid : "\(packet.openid)_\(index)", amountFen: fen, at: at)
            }
        } else {
            packet.receivers = [SimPacket.Receiver(openid: packet.openid, amountFen: packet.amountFen, at: at)]
        }
        packet.status = .received
        data.packets[key] = packet
        dirty = true
    }
}
